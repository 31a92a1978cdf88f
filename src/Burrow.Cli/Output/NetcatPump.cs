using Burrow.Transport;

namespace Burrow.Cli.Output;

/// <summary>
/// netcat behaviour once connected: stdin goes to the peer, the peer's bytes go to stdout. End of stdin
/// half-closes our direction; the pump ends when both directions are closed.
/// </summary>
internal static class NetcatPump
{
    private const int BufferSize = 64 * 1024;

    public static async Task<(long Sent, long Received)> RunAsync(PeerConnection connection, Stream input, Stream output, CancellationToken cancellationToken)
    {
        var sent = 0L;
        var upDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A console stream has no true async read: reading it blocks, so it gets a thread of its own (a
        // background one, so a process that is done never waits for a blocked terminal read).
        var up = new Thread(() =>
        {
            try
            {
                var buffer = new byte[BufferSize];
                int n;
                while ((n = input.Read(buffer)) > 0)
                {
                    connection.Stream.Write(buffer, 0, n);
                    connection.Stream.Flush();
                    sent += n;
                }
                connection.CompleteWritesAsync().GetAwaiter().GetResult();
                upDone.SetResult();
            }
            catch (Exception e)
            {
                upDone.SetException(e);
            }
        })
        { IsBackground = true, Name = "burrow stdin" };
        up.Start();

        var received = 0L;
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await connection.Stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            received += read;
        }
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await upDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (sent, received);
    }
}
