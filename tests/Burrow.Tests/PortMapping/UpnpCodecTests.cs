using System.Net;
using System.Text;
using Burrow.PortMapping;
using Burrow.PortMapping.Upnp;

namespace Burrow.Tests.PortMapping;

/// <summary>SSDP, device descriptions and SOAP, with answers real routers sent (as published in Tailscale's portmapper tests).</summary>
public class UpnpCodecTests
{
    private const string GoogleWifiSsdp =
        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n"
        + "USN: uuid:a9708184-a6c0-413a-bbac-11bcf7e30ece::urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\nEXT:\r\n"
        + "SERVER: Linux/5.4.0-1034-gcp UPnP/1.1 MiniUPnPd/1.9\r\nLOCATION: http://192.168.86.1:5000/rootDesc.xml\r\n"
        + "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n01-NLS: 1\r\nBOOTID.UPNP.ORG: 1\r\nCONFIGID.UPNP.ORG: 1337\r\n\r\n";

    private const string SagemcomSsdp =
        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nDATE: Tue, 14 Dec 2021 07:51:29 GMT\r\nEXT:\r\n"
        + "LOCATION: http://192.168.0.1:49153/69692b70/gatedesc0b.xml\r\nOPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n"
        + "01-NLS: cabd6488-1dd1-11b2-9e52-a7461e1f098e\r\nSERVER: \r\nUser-Agent: redsonic\r\n"
        + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
        + "USN: uuid:75802409-bccb-40e7-8e6c-fa095ecce13e::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n";

    /// <summary>Google Wifi (OnHub, miniupnpd): IGD v2, WANIPConnection:2 two devices deep.</summary>
    private const string GoogleWifiRootDesc =
        "<?xml version=\"1.0\"?>\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion><major>1</major><minor>0</minor></specVersion>"
        + "<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><friendlyName>OnHub</friendlyName>"
        + "<serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:Layer3Forwarding1</serviceId>"
        + "<controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL><SCPDURL>/L3F.xml</SCPDURL></service></serviceList>"
        + "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><friendlyName>WANDevice</friendlyName>"
        + "<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>"
        + "<controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL><SCPDURL>/WANCfg.xml</SCPDURL></service></serviceList>"
        + "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><friendlyName>WANConnectionDevice</friendlyName>"
        + "<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>"
        + "<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>"
        + "</device></deviceList></device></deviceList><presentationURL>http://testwifi.here/</presentationURL></device></root>";

    [Fact]
    public void An_m_search_is_byte_for_byte_the_udA_form()
    {
        Assert.Equal(
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n\r\n",
            Encoding.ASCII.GetString(SsdpCodec.SearchRequest(SsdpCodec.IgdV2, 1)));
    }

    [Fact]
    public void Real_routers_ssdp_answers_decode()
    {
        var google = SsdpCodec.ParseResponse(Encoding.ASCII.GetBytes(GoogleWifiSsdp));
        Assert.Equal(new Uri("http://192.168.86.1:5000/rootDesc.xml"), google.Location);
        Assert.Equal(SsdpCodec.IgdV2, google.SearchTarget);
        Assert.Equal("Linux/5.4.0-1034-gcp UPnP/1.1 MiniUPnPd/1.9", google.Server);
        var sagemcom = SsdpCodec.ParseResponse(Encoding.ASCII.GetBytes(SagemcomSsdp));
        Assert.Equal(new Uri("http://192.168.0.1:49153/69692b70/gatedesc0b.xml"), sagemcom.Location);
        Assert.Equal("", sagemcom.Server);
    }

    [Theory]
    [InlineData("")]
    [InlineData("NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.1/x.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 404 Not Found\r\nLOCATION: http://192.168.1.1/x.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n")]
    public void Other_datagrams_are_typed_errors(string text)
    {
        Assert.Equal(PortMapFormatError.BadHttp, Assert.Throws<PortMapFormatException>(() => SsdpCodec.ParseResponse(Encoding.ASCII.GetBytes(text))).Reason);
    }

    [Fact]
    public void A_real_routers_description_yields_its_wan_ip_connection_service()
    {
        var services = UpnpDescription.Parse(GoogleWifiRootDesc, new Uri("http://192.168.86.1:5000/rootDesc.xml"));
        var service = Assert.Single(services);
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", service.ServiceType);
        Assert.Equal(2, service.Version);
        Assert.Equal(new Uri("http://192.168.86.1:5000/ctl/IPConn"), service.ControlUrl);
        Assert.Equal("WANConnectionDevice", service.DeviceName);
    }

    [Fact]
    public void Wan_ppp_connection_is_found_too_after_ip_connection_and_url_base_is_honoured()
    {
        const string xml = "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><URLBase>http://10.0.0.1:2828/</URLBase><device><deviceList><device><serviceList>"
            + "<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service>"
            + "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>ip</controlURL></service>"
            + "</serviceList></device></deviceList></device></root>";
        var services = UpnpDescription.Parse(xml, new Uri("http://10.0.0.1:5000/desc.xml"));
        Assert.Equal(["http://10.0.0.1:2828/ip", "http://10.0.0.1:2828/ppp"], services.Select(s => s.ControlUrl.ToString()));
    }

    [Theory]
    [InlineData("<root><device>")]
    [InlineData("not xml at all")]
    [InlineData("<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><root>&e;</root>")]
    public void Malformed_descriptions_are_typed_errors(string xml)
    {
        Assert.Equal(PortMapFormatError.BadXml, Assert.Throws<PortMapFormatException>(() => UpnpDescription.Parse(xml, new Uri("http://192.168.1.1/"))).Reason);
    }

    [Fact]
    public void An_add_port_mapping_envelope_is_exact_and_escapes_values()
    {
        var body = SoapCodec.Envelope("urn:schemas-upnp-org:service:WANIPConnection:1", "AddPortMapping",
            [new("NewExternalPort", "18080"), new("NewPortMappingDescription", "a<b&c")]);
        Assert.Equal(
            "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
            + "<s:Body><u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewExternalPort>18080</NewExternalPort>"
            + "<NewPortMappingDescription>a&lt;b&amp;c</NewPortMappingDescription></u:AddPortMapping></s:Body></s:Envelope>\r\n", body);
        Assert.Equal("\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"", SoapCodec.SoapAction("urn:schemas-upnp-org:service:WANIPConnection:1", "AddPortMapping"));
    }

    [Fact]
    public void A_success_reply_gives_its_out_arguments()
    {
        const string body = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
            + "<s:Body><u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewExternalIPAddress>198.18.1.1</NewExternalIPAddress>"
            + "</u:GetExternalIPAddressResponse></s:Body></s:Envelope>\r\n";
        var reply = SoapCodec.ParseReply(HttpStatusCode.OK, body, "GetExternalIPAddress");
        Assert.False(reply.IsError);
        Assert.Equal("198.18.1.1", reply["NewExternalIPAddress"]);
    }

    [Theory]
    [InlineData(718, "ConflictInMappingEntry")]
    [InlineData(725, "OnlyPermanentLeasesSupported")]
    [InlineData(606, "Action not authorized")]
    [InlineData(501, "Action Failed")]
    public void A_fault_gives_the_upnp_error_code(int code, string description)
    {
        var body = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault>"
            + "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">"
            + $"<errorCode>{code}</errorCode><errorDescription>{description}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>\r\n";
        var reply = SoapCodec.ParseReply(HttpStatusCode.InternalServerError, body, "AddPortMapping");
        Assert.True(reply.IsError);
        Assert.Equal(code, reply.ErrorCode);
        Assert.Equal(description, reply.ErrorDescription);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, "<html>hello</html>", PortMapFormatError.BadXml)]
    [InlineData(HttpStatusCode.OK, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:OtherResponse xmlns:u=\"x\"/></s:Body></s:Envelope>", PortMapFormatError.BadXml)]
    [InlineData(HttpStatusCode.InternalServerError, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>", PortMapFormatError.BadHttp)]
    [InlineData(HttpStatusCode.InternalServerError, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><UPnPError><errorCode>x</errorCode></UPnPError></s:Body></s:Envelope>", PortMapFormatError.BadField)]
    [InlineData(HttpStatusCode.OK, "<s:Envelope", PortMapFormatError.BadXml)]
    public void Malformed_replies_are_typed_errors(HttpStatusCode status, string body, PortMapFormatError expected)
    {
        Assert.Equal(expected, Assert.Throws<PortMapFormatException>(() => SoapCodec.ParseReply(status, body, "AddPortMapping")).Reason);
    }
}
