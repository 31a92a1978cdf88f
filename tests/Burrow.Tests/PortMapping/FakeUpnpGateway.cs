using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;

namespace Burrow.Tests.PortMapping;

/// <summary>
/// A UPnP IGD on loopback: an SSDP responder (unicast) and an HTTP server with a device description and the
/// WANIPConnection actions, answering with the errors real routers use: 718 for a taken external port, 725
/// when only permanent leases are allowed, 401 for AddAnyPortMapping on IGD v1.
/// </summary>
internal sealed class FakeUpnpGateway : IAsyncDisposable
{
    private readonly UdpClient _ssdp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly HttpListener _http = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ssdpLoop, _httpLoop;
    private readonly int _httpPort;

    public FakeUpnpGateway(int version = 2)
    {
        Version = version;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _httpPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _http.Prefixes.Add($"http://127.0.0.1:{_httpPort}/");
        _http.Start();
        _ssdpLoop = Task.Run(SsdpAsync);
        _httpLoop = Task.Run(HttpAsync);
    }

    public int Version { get; }

    public bool OnlyPermanentLeases { get; set; }

    public IPEndPoint SsdpEndPoint => (IPEndPoint)_ssdp.Client.LocalEndPoint!;

    private string ServiceType => $"urn:schemas-upnp-org:service:WANIPConnection:{Version}";

    /// <summary>(protocol, external port) → (internal client:port, lease, description).</summary>
    public Dictionary<(string Protocol, int External), (string Internal, int Lease, string Description)> Table { get; } = [];

    public List<string> Actions { get; } = [];

    private async Task SsdpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var search = await _ssdp.ReceiveAsync(_stop.Token);
                var answer = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
                    + $"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:{Version}\r\nUSN: uuid:fake::igd\r\nEXT:\r\n"
                    + $"SERVER: Fake UPnP/1.1 MiniUPnPd/2.3.1\r\nLOCATION: http://127.0.0.1:{_httpPort}/rootDesc.xml\r\n\r\n";
                await _ssdp.SendAsync(Encoding.ASCII.GetBytes(answer), search.RemoteEndPoint);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    private async Task HttpAsync()
    {
        while (_http.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _http.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var (status, body) = context.Request.Url!.AbsolutePath == "/rootDesc.xml"
                ? (200, Description())
                : Control(await new StreamReader(context.Request.InputStream).ReadToEndAsync());
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/xml; charset=\"utf-8\"";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private string Description() =>
        "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:"
        + $"{Version}</deviceType><friendlyName>fake</friendlyName><deviceList><device><deviceList><device><friendlyName>WANConnectionDevice</friendlyName>"
        + $"<serviceList><service><serviceType>{ServiceType}</serviceType><controlURL>/ctl/IPConn</controlURL></service></serviceList>"
        + "</device></deviceList></device></deviceList></device></root>";

    private (int, string) Control(string request)
    {
        var action = XDocument.Parse(request).Descendants().First(e => e.Parent?.Name.LocalName == "Body");
        string Arg(string name) => action.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        var name = action.Name.LocalName;
        lock (Table)
        {
            Actions.Add(name);
            switch (name)
            {
                case "GetExternalIPAddress":
                    return Ok(name, "<NewExternalIPAddress>198.18.9.9</NewExternalIPAddress>");
                case "AddAnyPortMapping" when Version < 2:
                    return Error(401, "Invalid Action");
                case "AddPortMapping" or "AddAnyPortMapping":
                    var key = (Arg("NewProtocol"), int.Parse(Arg("NewExternalPort")));
                    var lease = int.Parse(Arg("NewLeaseDuration"));
                    var client = $"{Arg("NewInternalClient")}:{Arg("NewInternalPort")}";
                    if (OnlyPermanentLeases && lease != 0)
                        return Error(725, "OnlyPermanentLeasesSupported");
                    if (Table.TryGetValue(key, out var held) && held.Internal != client)
                    {
                        if (name == "AddPortMapping")
                            return Error(718, "ConflictInMappingEntry");
                        key = (key.Item1, Enumerable.Range(50000, 1000).First(p => !Table.ContainsKey((key.Item1, p))));
                    }
                    Table[key] = (client, lease, Arg("NewPortMappingDescription"));
                    return Ok(name, name == "AddAnyPortMapping" ? $"<NewReservedPort>{key.Item2}</NewReservedPort>" : "");
                case "DeletePortMapping":
                    return Table.Remove((Arg("NewProtocol"), int.Parse(Arg("NewExternalPort")))) ? Ok(name, "") : Error(714, "NoSuchEntryInArray");
                default:
                    return Error(401, "Invalid Action");
            }
        }
    }

    private (int, string) Ok(string action, string arguments) => (200,
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
        + $"<u:{action}Response xmlns:u=\"{ServiceType}\">{arguments}</u:{action}Response></s:Body></s:Envelope>");

    private static (int, string) Error(int code, string description) => (500,
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultcode>s:Client</faultcode>"
        + "<faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">"
        + $"<errorCode>{code}</errorCode><errorDescription>{description}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _ssdp.Dispose();
        _http.Close();
        await Task.WhenAll(_ssdpLoop, _httpLoop);
        _stop.Dispose();
    }
}
