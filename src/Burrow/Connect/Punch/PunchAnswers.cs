using Burrow.Connect.Signals;

namespace Burrow.Connect.Punch;

/// <summary>Punch offers waiting for their answer, matched by the offer's nonce (answers are checked by the waiter).</summary>
internal sealed class PunchAnswers
{
    private readonly Dictionary<string, TaskCompletionSource<(ReadOnlyMemory<byte> Payload, long ReceivedAt)>> _waiting = [];
    private readonly Lock _lock = new();

    public Waiting Add(ReadOnlySpan<byte> nonce)
    {
        var key = Convert.ToHexString(nonce);
        var completion = new TaskCompletionSource<(ReadOnlyMemory<byte> Payload, long ReceivedAt)>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiting[key] = completion;
        }
        return new Waiting(this, key, completion.Task);
    }

    /// <summary>Hands an answer (read off the rendezvous connection at <paramref name="receivedAt"/>, a Stopwatch timestamp) to the offer it names; false when no offer waits for it.</summary>
    public bool Deliver(ReadOnlyMemory<byte> payload, long receivedAt)
    {
        if (SignedSignal.TryParse(payload.Span, PunchAnswer.Kind) is not { } envelope)
        {
            return false;
        }
        TaskCompletionSource<(ReadOnlyMemory<byte> Payload, long ReceivedAt)>? completion;
        lock (_lock)
        {
            _waiting.Remove(Convert.ToHexString(envelope.Nonce.Span), out completion);
        }
        return completion?.TrySetResult((payload, receivedAt)) ?? false;
    }

    internal sealed class Waiting(PunchAnswers owner, string key, Task<(ReadOnlyMemory<byte> Payload, long ReceivedAt)> answer) : IDisposable
    {
        public Task<(ReadOnlyMemory<byte> Payload, long ReceivedAt)> Answer { get; } = answer;

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._waiting.Remove(key);
            }
        }
    }
}
