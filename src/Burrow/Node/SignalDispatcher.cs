using Burrow.Connect.Punch;
using Burrow.Connect.Reverse;
using Burrow.Connect.Signals;
using Burrow.Relay;
using Burrow.Rendezvous.Client;

namespace Burrow.Node;

/// <summary>
/// Reads the signals each rendezvous connection receives and hands each, by its kind, to the part of the node
/// that answers it: reverse-connect requests and failures, punch offers and answers, relay requests. Unknown
/// kinds are dropped (a newer peer may send more). Handlers are tracked by the node so that stopping waits for them.
/// </summary>
internal sealed class SignalDispatcher(
    ReverseResponder reverse,
    ReverseWaiters reverseWaiters,
    PunchResponder punch,
    PunchAnswers punchAnswers,
    RelayResponder relay,
    Func<Task, Task> track)
{
    public void Start(IEnumerable<RendezvousClient> clients, CancellationToken stopping)
    {
        foreach (var client in clients)
        {
            _ = track(ReadAsync(client, stopping));
        }
    }

    private async Task ReadAsync(RendezvousClient client, CancellationToken stopping)
    {
        try
        {
            await foreach (var signal in client.Signals.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                Dispatch(signal, stopping);
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }

    private void Dispatch(IncomingSignal signal, CancellationToken stopping)
    {
        switch (SignedSignal.KindOf(signal.Payload.Span))
        {
            case ReverseRequest.Kind:
                _ = track(reverse.HandleAsync(signal, stopping));
                break;
            case ReverseFailure.Kind when ReverseFailure.TryRead(signal.Payload.Span, out var failure):
                reverseWaiters.Fail(signal.Source, failure);
                break;
            case PunchOffer.Kind:
                _ = track(punch.HandleAsync(signal.Via, signal.Source, signal.Payload, signal.ReceivedAt, stopping));
                break;
            case PunchAnswer.Kind:
                punchAnswers.Deliver(signal.Payload, signal.ReceivedAt);
                break;
            case RelayRequest.Kind:
                _ = track(relay.HandleAsync(signal.Source, signal.Payload, stopping));
                break;
        }
    }
}
