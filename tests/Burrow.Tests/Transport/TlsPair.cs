using System.Net.Security;
using System.Net.Sockets;
using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Tests.Transport;

/// <summary>Alice (TLS client) and Bob (TLS server), new nodes authenticated over a socket pair (which they own), with their sockets.</summary>
internal sealed class TlsPair : IAsyncDisposable
{
    private readonly NodeKeys _alice = new();
    private readonly NodeKeys _bob = new();
    private TlsOverSockets? _tls;

    private TlsPair()
    {
    }

    public Socket AliceSocket { get; private set; } = null!;

    public Socket BobSocket { get; private set; } = null!;

    public SslStream Alice => _tls!.Alice;

    public SslStream Bob => _tls!.Bob;

    public NodeId AliceId => _alice.NodeId;

    public NodeId BobId => _bob.NodeId;

    /// <summary>Who Alice authenticated.</summary>
    public NodeId AliceSees => _tls!.AliceSees;

    /// <summary>Who Bob authenticated.</summary>
    public NodeId BobSees => _tls!.BobSees;

    /// <summary>Over an ordinary loopback connection (Bob requires Alice's key).</summary>
    public static async Task<TlsPair> StartAsync(CancellationToken ct)
    {
        var (alice, bob) = await SecureStreamTests.LoopbackPairAsync(ct);
        return await OverAsync(alice, bob, bobChecks: true, ct);
    }

    /// <summary>Over an ordinary loopback connection, with Alice's TLS stream over <paramref name="aliceTransport"/> (given her socket's stream).</summary>
    public static async Task<TlsPair> StartAsync(Func<Stream, Stream> aliceTransport, CancellationToken ct)
    {
        var (alice, bob) = await SecureStreamTests.LoopbackPairAsync(ct);
        return await OverAsync(alice, bob, bobChecks: true, aliceTransport, ct);
    }

    /// <summary>Over <paramref name="aliceSocket"/> and <paramref name="bobSocket"/>, connected to each other by whatever means.</summary>
    public static Task<TlsPair> OverAsync(Socket aliceSocket, Socket bobSocket, bool bobChecks, CancellationToken ct) =>
        OverAsync(aliceSocket, bobSocket, bobChecks, transport => transport, ct);

    private static async Task<TlsPair> OverAsync(Socket aliceSocket, Socket bobSocket, bool bobChecks, Func<Stream, Stream> aliceTransport, CancellationToken ct)
    {
        var pair = new TlsPair { AliceSocket = aliceSocket, BobSocket = bobSocket };
        pair._tls = await TlsOverSockets.AuthenticateAsync(aliceTransport(new NetworkStream(aliceSocket)), pair._alice.Tls, TlsRole.Client,
            new NetworkStream(bobSocket), pair._bob.Tls, TlsRole.Server, bobChecks, ct);
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            await _tls.DisposeAsync();
        }
        AliceSocket?.Dispose();
        BobSocket?.Dispose();
        _alice.Dispose();
        _bob.Dispose();
    }
}
