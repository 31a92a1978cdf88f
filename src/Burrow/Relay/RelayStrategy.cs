using System.Security.Cryptography;
using Burrow.Connect;
using Burrow.Connect.Punch;
using Burrow.Connect.Signals;

namespace Burrow.Relay;

/// <summary>
/// The last resort: through a rendezvous both use, ask the peer to meet at one of the relays its address
/// names, with a fresh token, and meet it there. The stream is still end-to-end TLS between the two nodes;
/// the connection says it is relayed and what the relay allows.
/// </summary>
public sealed class RelayStrategy : IConnectStrategy
{
    public const string StrategyName = RelaySession.StrategyName;

    private readonly IReadOnlyList<ISignalingChannel> _channels;

    internal RelayStrategy(IReadOnlyList<ISignalingChannel> channels) => _channels = channels;

    public string Name => StrategyName;

    public async Task<AttemptOutcome> TryConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        var remote = context.Remote;
        if (remote.Relays.Count == 0)
        {
            return AttemptOutcome.Failed("the peer's address names no relay");
        }
        if (context.LocalAddress is not { } local)
        {
            return AttemptOutcome.Failed("this node has no address to send the peer");
        }
        if (_channels.FirstOrDefault(c => remote.Rendezvous.Contains(c.Server)) is not { } channel)
        {
            return AttemptOutcome.Failed("no rendezvous in common with the peer");
        }
        await channel.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        var relay = remote.Relays[0];
        var token = RandomNumberGenerator.GetBytes(RelayHandshake.TokenSize);
        var request = RelayRequest.Create(context.Local.Identity, local, remote.NodeId, RandomNumberGenerator.GetBytes(SignedSignal.NonceSize),
            context.Time.GetUtcNow(), relay, token);
        if (!channel.TrySend(remote.NodeId, request))
        {
            return AttemptOutcome.Failed($"the connection to the rendezvous {channel.Server} is down");
        }
        try
        {
            return await RelaySession.RunAsync(relay, token, context.Local, remote.NodeId, initiated: true, context.Options, context.Time,
                context.StartedAt, cancellationToken).ConfigureAwait(false);
        }
        catch (RelayRefusedException e)
        {
            return AttemptOutcome.Failed($"the relay {relay} refused: {e.Status}");
        }
    }
}
