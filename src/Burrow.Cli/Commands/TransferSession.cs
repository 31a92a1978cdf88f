using System.Diagnostics;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Cli.Transfer;
using Burrow.Transport;
using Spectre.Console;

namespace Burrow.Cli.Commands;

/// <summary>What <c>send</c> and <c>receive</c> do once the peer is connected: one file, a progress bar, a checksum.</summary>
internal static class TransferSession
{
    public static Task<int> SendAsync(PeerConnection connection, Reporter reporter, string path, TransferTimeouts timeouts, CancellationToken cancellationToken) =>
        RunAsync(connection, reporter, "sent", cancellationToken, async (link, progress) =>
        {
            await using var file = File.OpenRead(path);
            var offer = new FileOffer(Path.GetFileName(path), file.Length);
            ReportRelayLimit(reporter, link, offer);
            var digest = await FileTransfer.SendAsync(link, offer, file, progress(offer), timeouts, cancellationToken);
            await link.Current.CompleteWritesAsync();
            return (offer, digest, Path.GetFullPath(path));
        });

    public static Task<int> ReceiveAsync(PeerConnection connection, Reporter reporter, string folder, bool overwrite, TransferTimeouts timeouts,
        CancellationToken cancellationToken) =>
        RunAsync(connection, reporter, "received", cancellationToken, async (link, progress) =>
        {
            PartFile? part = null;
            IProgress<long>? bar = null;
            try
            {
                var (offer, digest) = await FileTransfer.ReceiveAsync(link, offer =>
                {
                    part = PartFile.Create(Path.Combine(folder, offer.Name), overwrite);
                    bar = progress(offer);
                    return part.Stream;
                }, () => part!.Keep(), new ForwardProgress(() => bar), timeouts, cancellationToken);
                await link.Current.CompleteWritesAsync();
                return (offer, digest, Path.GetFullPath(part!.Target));
            }
            finally
            {
                if (part is not null)
                {
                    await part.DisposeAsync(); // deletes the .part file unless it was kept
                }
            }
        });

    /// <summary>Says once, up front, that a relayed link carries less than the file: it needs the direct connection to finish.</summary>
    private static void ReportRelayLimit(Reporter reporter, TransferLink link, FileOffer offer)
    {
        if (link.Budget is not { } budget || !link.Current.IsRelayed || offer.Size <= budget.Total)
        {
            return;
        }
        reporter.Event("relay_limit", new JsonObject { ["bytes"] = offer.Size, ["maxBytes"] = budget.MaxBytes, ["relayBytes"] = budget.Total });
        reporter.Say($"[yellow]the relay carries at most {budget.MaxBytes} bytes each way[/], less than the file's {offer.Size}: "
            + $"after the first {budget.Total} the transfer needs the direct connection to finish");
    }

    private static async Task<int> RunAsync(PeerConnection connection, Reporter reporter, string verb, CancellationToken cancellationToken,
        Func<TransferLink, Func<FileOffer, IProgress<long>>, Task<(FileOffer Offer, byte[] Digest, string Path)>> transfer)
    {
        var clock = Stopwatch.StartNew();
        await using var link = new TransferLink(connection, cancellationToken)
        {
            Moved = direct =>
            {
                reporter.Event("upgraded", new JsonObject
                {
                    ["peer"] = direct.RemoteId.ToString(),
                    ["strategy"] = direct.Strategy,
                    ["remote"] = direct.RemoteEndPoint.ToString(),
                    ["afterMs"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                });
                reporter.Say($"[green]moved off the relay[/]: direct to {direct.RemoteEndPoint} via [bold]{direct.Strategy}[/]");
            },
        };
        PeerSession.ReportConnected(connection, reporter);
        try
        {
            var (offer, digest, path) = reporter.Json
                ? await transfer(link, _ => new Progress<long>())
                : await reporter.Human.Progress().AutoClear(false).StartAsync(ctx =>
                    transfer(link, offer => new TaskProgress(ctx.AddTask(Markup.Escape(offer.Name), maxValue: Math.Max(1, offer.Size)))));
            var seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
            reporter.Event(verb, new JsonObject
            {
                ["peer"] = connection.RemoteId.ToString(),
                ["name"] = offer.Name,
                ["path"] = path,
                ["bytes"] = offer.Size,
                ["sha256"] = Convert.ToHexStringLower(digest),
                ["elapsedMs"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                ["mibPerSecond"] = Math.Round(offer.Size / seconds / (1024 * 1024), 2),
            });
            reporter.Say($"[green]{verb}[/] {Markup.Escape(offer.Name)}: {offer.Size} bytes in {seconds:F1} s, SHA-256 {Convert.ToHexStringLower(digest)} (checked by both ends)");
            reporter.Event("closed", new JsonObject { ["peer"] = connection.RemoteId.ToString(), ["reason"] = "transfer complete" });
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reporter.Event("closed", new JsonObject { ["peer"] = connection.RemoteId.ToString(), ["reason"] = "interrupted" });
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or TimeoutException or BurrowException)
        {
            return reporter.Fail(ExitCodes.ConnectionFailed, "transfer_failed", e.Message);
        }
    }

    private sealed class TaskProgress(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = value;
    }

    /// <summary>Progress for a bar that exists only once the offer has arrived.</summary>
    private sealed class ForwardProgress(Func<IProgress<long>?> target) : IProgress<long>
    {
        public void Report(long value) => target()?.Report(value);
    }
}
