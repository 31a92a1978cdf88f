using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Burrow.Tests.PortMapping;

/// <summary>
/// A NAT-PMP and PCP server on loopback that behaves like miniupnpd: grants the suggested port when free,
/// deletes on lifetime 0, answers a protocol it does not speak with the other's "unsupported version" (or not
/// at all, when <see cref="Silent"/>). Records every request and the table of mappings.
/// </summary>
internal sealed class FakePmpGateway : IAsyncDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakePmpGateway(bool natPmp = true, bool pcp = true)
    {
        SpeaksNatPmp = natPmp;
        SpeaksPcp = pcp;
        _loop = Task.Run(RunAsync);
    }

    public bool SpeaksNatPmp { get; }

    public bool SpeaksPcp { get; }

    public bool Silent { get; set; }

    public uint Epoch { get; set; } = 1000;

    public IPAddress External { get; set; } = IPAddress.Parse("198.18.7.7");

    public int Port => ((IPEndPoint)_socket.Client.LocalEndPoint!).Port;

    /// <summary>(protocol, internal port) → (external port, lifetime, nonce).</summary>
    public Dictionary<(string Protocol, int InternalPort), (int External, uint Lifetime, byte[] Nonce)> Table { get; } = [];

    public List<byte[]> Requests { get; } = [];

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            byte[]? reply;
            lock (Table)
            {
                Requests.Add(received.Buffer);
                reply = Silent ? null : Answer(received.Buffer);
            }
            if (reply is not null)
            {
                await _socket.SendAsync(reply, received.RemoteEndPoint);
            }
        }
    }

    private byte[]? Answer(byte[] request)
    {
        if (request.Length < 2)
        {
            return null;
        }
        return request[0] switch
        {
            0 when SpeaksNatPmp => NatPmp(request),
            2 when SpeaksPcp => Pcp(request),
            2 => [0, (byte)(128 + request[1]), 0, 1, .. U32(Epoch)],              // NAT-PMP server: unsupported version
            0 => PcpHeader(request[1], 1, 0),                                     // PCP server: UNSUPP_VERSION
            _ => null,
        };
    }

    private byte[] NatPmp(byte[] request)
    {
        if (request[1] == 0)
        {
            return [0, 128, 0, 0, .. U32(Epoch), .. External.GetAddressBytes()];
        }
        var protocol = request[1] == 2 ? "tcp" : "udp";
        var internalPort = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(4));
        var suggested = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(6));
        var lifetime = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8));
        var external = Map(protocol, internalPort, suggested, lifetime, []);
        return [0, (byte)(128 + request[1]), 0, 0, .. U32(Epoch), .. U16(internalPort), .. U16(external), .. U32(lifetime)];
    }

    private byte[] Pcp(byte[] request)
    {
        var lifetime = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(4));
        if (request[1] == 0)
        {
            return PcpHeader(0, 0, 0);
        }
        var map = request.AsSpan(24, 36);
        var protocol = map[12] == 6 ? "tcp" : "udp";
        var internalPort = BinaryPrimitives.ReadUInt16BigEndian(map[16..]);
        var suggested = BinaryPrimitives.ReadUInt16BigEndian(map[18..]);
        var external = Map(protocol, internalPort, suggested, lifetime, map[..12].ToArray());
        var address = new byte[16];
        External.MapToIPv6().TryWriteBytes(address, out _);
        return [.. PcpHeader(1, 0, lifetime), .. map[..12], map[12], 0, 0, 0, .. U16(internalPort), .. U16(external), .. address];
    }

    private int Map(string protocol, ushort internalPort, ushort suggested, uint lifetime, byte[] nonce)
    {
        if (lifetime == 0)
        {
            Table.Remove((protocol, internalPort));
            return 0;
        }
        var external = suggested != 0 && !Table.Values.Any(v => v.External == suggested) ? suggested
            : Table.TryGetValue((protocol, internalPort), out var existing) ? existing.External : 40000 + Table.Count;
        Table[(protocol, internalPort)] = (external, lifetime, nonce);
        return external;
    }

    private byte[] PcpHeader(byte opcode, byte result, uint lifetime) => [2, (byte)(128 + opcode), 0, result, .. U32(lifetime), .. U32(Epoch), .. new byte[12]];

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] U32(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
