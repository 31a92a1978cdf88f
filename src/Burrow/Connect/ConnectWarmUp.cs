using System.Net;
using Burrow.Addressing;
using Burrow.Connect.Punch;
using Burrow.Identity;
using Burrow.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Connect;

/// <summary>
/// One whole hole punch on loopback between two throwaway identities, signaled in memory, run off the hot path
/// when a node that can punch starts: the plan, the orchestrator, the punch strategy and responder, the signed
/// offer and answer, the scheduler's connect and the TLS handshake in both roles all run once before the first
/// real connect. A fresh process otherwise pays for their first calls (compilation, first use of types and of
/// the socket paths) inside its first connect: `bench connect-overhead` measured a first punch of 72 ms against
/// 24 ms for the ones after it, the difference spent before the offer, before the agreed instant, and in the
/// simultaneous open — out of the margin the two sides agreed on. Traffic stays on 127.0.0.1.
/// </summary>
internal static class ConnectWarmUp
{
    private static readonly SignalEndpoint InMemory = new("127.0.0.1", 1);

    /// <summary>Runs <see cref="RunAsync"/> on the thread pool; a failure is logged (the first connect is then only slower), never thrown.</summary>
    public static Task RunInBackground(PunchScheduler scheduler, TimeProvider time, IReadOnlySet<string> strategies, ILogger logger, CancellationToken stopping) =>
        Task.Run(async () =>
        {
            try
            {
                await RunAsync(scheduler, time, strategies, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // the node stopped before it was done
            }
            catch (Exception e) when (e is BurrowException or IOException or System.Net.Sockets.SocketException or TimeoutException
                                       or OperationCanceledException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
            {
                WarmUpLog.Failed(logger, e);
            }
        }, CancellationToken.None);

    public static async Task RunAsync(PunchScheduler scheduler, TimeProvider time, IReadOnlySet<string> strategies, CancellationToken cancellationToken)
    {
        using var dialer = NodeIdentity.Create();
        using var peer = NodeIdentity.Create();
        using var dialerTls = new TlsCredentials(dialer, time);
        using var peerTls = new TlsCredentials(peer, time);
        var dialerAddress = AddressOf(dialer, time);
        var peerAddress = AddressOf(peer, time);
        _ = ConnectPlanner.Plan(dialerAddress, peerAddress, strategies);
        _ = DialTargets.From(peerAddress, dialerAddress);

        var options = new ConnectOptions { Timeout = TimeSpan.FromSeconds(5) };
        var answers = new PunchAnswers();
        var delivered = new TaskCompletionSource<PeerConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = new PunchResponder(peerTls, () => peerAddress, options, scheduler, null, NullLogger.Instance, async connection =>
        {
            if (!delivered.TrySetResult(connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        });
        LoopbackChannel? peerSide = null;
        var answering = Task.CompletedTask;
        var dialerSide = new LoopbackChannel((target, offer) =>
        {
            answering = responder.HandleAsync(peerSide!, dialer.NodeId, offer, System.Diagnostics.Stopwatch.GetTimestamp(), cancellationToken);
            return true;
        });
        peerSide = new LoopbackChannel((target, answer) => answers.Deliver(answer, System.Diagnostics.Stopwatch.GetTimestamp()));

        try
        {
            var orchestrator = new ConnectOrchestrator([new PunchStrategy([dialerSide], answers, scheduler)]);
            var context = new ConnectContext(dialerTls, dialerAddress, peerAddress, options, time, NullLogger.Instance);
            await using var outbound = await orchestrator.ConnectAsync(context, [new PlanStep(ConnectPlanner.Punch, TimeSpan.Zero)], cancellationToken).ConfigureAwait(false);
            await using var inbound = await delivered.Task.WaitAsync(options.Timeout, cancellationToken).ConfigureAwait(false);
            // One byte each way and a close: the streams' read, write and shutdown paths too.
            var buffer = new byte[1];
            await outbound.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await inbound.Stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
            await inbound.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await outbound.Stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
            await outbound.CompleteWritesAsync().ConfigureAwait(false);
        }
        finally
        {
            // The answering side ends on its own (delivered, failed, or cancelled with the node); a connection it
            // delivered after the dialing side gave up is closed here, not left open.
            await answering.ConfigureAwait(false);
            if (!delivered.TrySetCanceled())
            {
                await delivered.Task.Result.DisposeAsync().ConfigureAwait(false); // disposing the one taken above again is a no-op
            }
        }
    }

    private static NodeAddress AddressOf(NodeIdentity identity, TimeProvider time) => NodeAddress.Issue(identity, new NodeAddressContent
    {
        Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback }], // not listening: only a punch reaches it
        Rendezvous = [InMemory],
        IssuedAt = time.GetUtcNow(),
    });

    /// <summary>A signaling channel that hands each signal straight to the other side.</summary>
    private sealed class LoopbackChannel(Func<NodeId, ReadOnlyMemory<byte>, bool> send) : ISignalingChannel
    {
        public SignalEndpoint Server => InMemory;

        public (TimeSpan Offset, TimeSpan RoundTrip)? Clock => (TimeSpan.Zero, TimeSpan.FromMilliseconds(1));

        public IPEndPoint? ObservedEndPoint => null;

        public Task WaitReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public bool TrySend(NodeId target, ReadOnlyMemory<byte> payload) => send(target, payload);
    }
}

internal static partial class WarmUpLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "The connect warm-up failed (the first connect will be slower)")]
    public static partial void Failed(ILogger logger, Exception exception);
}
