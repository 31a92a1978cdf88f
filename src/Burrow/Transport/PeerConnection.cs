using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Burrow.Identity;

namespace Burrow.Transport;

/// <summary>
/// An authenticated, encrypted stream to a peer whose node id is known, with how it was obtained.
/// Write, then <see cref="CompleteWritesAsync"/> to half-close (or dispose); reads end (return 0) when the peer does. A stream
/// that ends any other way — reset, cut by a relay at its limits, or a FIN forged on the path — is not taken for the
/// peer's end: its reads throw an <see cref="IOException"/> (inner: <see cref="ProtocolViolationException"/> <c>stream_truncated</c>).
/// A relayed connection may be upgraded: see <see cref="UpgradeAsync"/>.
/// </summary>
public sealed class PeerConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream _ssl;
    private readonly TaskCompletionSource<PeerConnection?> _upgrade = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    private readonly Relay.RelaySessionEnd? _relayEnd;
    private int _upgradeTaken;
    private int _disposed;
    private int _writesCompleted;

    internal PeerConnection(Socket socket, SslStream ssl, NodeId remoteId, string strategy, TimeSpan elapsed, bool initiated,
        Relay.RelayLimits? relay = null, UpgradeTag? relayTag = null, Relay.RelaySessionEnd? relayEnd = null)
    {
        Relay = relay;
        _relayEnd = relay is null ? null : relayEnd;
        RelayTag = relay is null ? null : relayTag;
        if (RelayTag is null)
        {
            _upgrade.SetResult(null); // only a relayed connection is ever upgraded
        }
        UpgradeOf = UpgradeTag.TryParse(ssl.TargetHostName, out var tag) ? tag : null;
        _socket = socket;
        _ssl = ssl;
        RemoteId = remoteId;
        Strategy = strategy;
        Elapsed = elapsed;
        IsInitiator = initiated;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The authenticated peer.</summary>
    public NodeId RemoteId { get; }

    /// <summary>The strategy that produced this connection (e.g. <c>direct</c>, or <c>accepted</c> on the accepting side).</summary>
    public string Strategy { get; }

    /// <summary>From the start of the connect (or of the accepted handshake) to an authenticated stream.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>True on the side that asked for the connection.</summary>
    public bool IsInitiator { get; }

    /// <summary>The remote endpoint of the socket: the peer's, or the relay's when <see cref="Relay"/> is set.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>When the connection goes through a relay: the limits it imposes (bytes each way, duration); null when direct.</summary>
    public Relay.RelayLimits? Relay { get; }

    public bool IsRelayed => Relay is not null;

    /// <summary>
    /// For a relayed connection: when the relay ends the session at the latest, its
    /// <see cref="Burrow.Relay.RelayLimits.MaxDuration"/> after this node heard it had paired the two sides (the relay's
    /// own count began up to half a round trip earlier). Null when direct, or when the relay sets no time limit.
    /// </summary>
    public DateTimeOffset? RelayEndsBy => _relayEnd?.EndsBy;

    /// <summary>
    /// For a relayed connection: how long until <see cref="RelayEndsBy"/>, on the node's monotonic clock (a step of the
    /// wall clock does not move it; negative once past). Null when direct, or when the relay sets no time limit.
    /// </summary>
    public TimeSpan? RelayTimeLeft => _relayEnd?.Left;

    /// <summary>For a relayed connection: the tag a direct connection replacing it carries.</summary>
    internal UpgradeTag? RelayTag { get; }

    /// <summary>For a direct connection made to replace a relayed one: that one's tag; null for an ordinary connection.</summary>
    internal UpgradeTag? UpgradeOf { get; }

    /// <summary>Cancelled when this connection is disposed (background work for it stops).</summary>
    internal CancellationToken Closed => _closed.Token;

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// For an outbound connection made by the connect orchestrator: what every strategy of the plan did (the
    /// winner, the ones that failed before it, the ones cancelled because it won). Empty otherwise.
    /// </summary>
    public IReadOnlyList<Connect.StrategyAttempt> Attempts { get; internal set; } = [];

    /// <summary>The encrypted byte stream. For messages, wrap it in a <see cref="MessageStream"/>.</summary>
    public Stream Stream => _ssl;

    /// <summary>Says "no more data from me" (TLS close_notify, then TCP FIN); the peer's reads then end. Reading goes on.</summary>
    public async Task CompleteWritesAsync()
    {
        await _ssl.FlushAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _writesCompleted, 1) != 0)
        {
            return;
        }
        // When it cannot go (the connection is gone, or a write is still in progress on another thread), the FIN below
        // still ends the stream, and the peer reads a cut.
        await CloseNotify.SendAsync(_ssl, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The peer is already gone; nothing more to say to it.
        }
    }

    /// <summary>The longest a dispose waits to send its close_notify.</summary>
    internal static readonly TimeSpan CloseNotifyTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// For a relayed connection: waits until a direct connection to the same peer is ready in its place, and
    /// hands it over (the caller owns it from then on; call once). The node that asked for the relay keeps trying
    /// the direct ways it planned, in the background (<see cref="Connect.ConnectOptions.UpgradeAfter"/>); the
    /// peer's node receives the result. Both ends get theirs at about the same moment, but neither stream knows
    /// of the other: the application agrees with its peer where to switch (say, a last message on the relayed
    /// stream), moves to the direct stream and disposes this one. Returns null for a connection that is not
    /// relayed, when the attempts have all failed, or once this connection is disposed (which also closes a
    /// direct connection nobody took).
    /// </summary>
    public async Task<PeerConnection?> UpgradeAsync(CancellationToken cancellationToken)
    {
        var direct = await _upgrade.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return direct is not null && Interlocked.Exchange(ref _upgradeTaken, 1) == 0 ? direct : null;
    }

    /// <summary>Offers <paramref name="direct"/> as this relayed connection's replacement; false (and the caller keeps it) when not wanted.</summary>
    internal bool TryUpgrade(PeerConnection direct) =>
        RelayTag is { } tag && direct.UpgradeOf == tag && direct.RemoteId == RemoteId && !direct.IsRelayed && _disposed == 0 && _upgrade.TrySetResult(direct);

    /// <summary>No direct connection will come: <see cref="UpgradeAsync"/> returns null.</summary>
    internal void EndUpgrade() => _upgrade.TrySetResult(null);

    /// <summary>
    /// Closes the connection (and a direct connection offered in its place that nobody took). What was written
    /// still arrives, followed by the end of the stream (close_notify, unless <see cref="CompleteWritesAsync"/> sent it,
    /// waited for at most <see cref="CloseNotifyTimeout"/>): the socket sends its FIN then and is released in the
    /// background once the peer has closed too, or after 5 s (<see cref="LingeringClose"/>).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _closed.CancelAsync().ConfigureAwait(false);
            _upgrade.TrySetResult(null);
            if (_upgrade.Task.Result is { } untaken && Interlocked.Exchange(ref _upgradeTaken, 1) == 0)
            {
                await untaken.DisposeAsync().ConfigureAwait(false);
            }
            if (Interlocked.Exchange(ref _writesCompleted, 1) == 0)
            {
                await CloseNotify.SendAsync(_ssl, CloseNotifyTimeout).ConfigureAwait(false); // so that the peer reads an end, not a cut
            }
            await _ssl.DisposeAsync().ConfigureAwait(false);
            LingeringClose.Start(_socket); // the bytes written still arrive, and the peer reads an end, not a reset
        }
    }

    public override string ToString() => $"{RemoteId.ToShortString()}… at {RemoteEndPoint} via {Strategy}";
}
