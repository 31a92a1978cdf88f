using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Probing.Stun;
using Microsoft.Extensions.Logging;

namespace Burrow.Probing;

/// <summary>
/// The driver of NAT classification: it opens the flows <see cref="MappingClassifier"/> asks for and feeds it
/// what the servers saw. Per address family of the servers:
/// <list type="number">
/// <item>UDP filtering (RFC 5780 §4.4) from a socket of its own: one binding request, then tests II and III at
/// once; their wait overlaps everything below.</item>
/// <item>TCP, all from one local port (SO_REUSEPORT, with a listener on it as a punching peer has): one flow per
/// planned server endpoint, one after the other. The first flow stays open and asks the server to connect back
/// from its other address (drop / RST / open).</item>
/// <item>UDP mapping (RFC 5780 §4.3) from the same port number, over all four server endpoints.</item>
/// </list>
/// Every new flow starts only after the previous one was answered, so a sequential NAT's counter advances
/// exactly once per mapping probe.
/// </summary>
public sealed class NatProber(NatProberOptions options) : IAsyncDisposable
{
    private readonly ILogger _logger = options.LoggerFactory.CreateLogger<NatProber>();
    private readonly CancellationTokenSource _disposed = new();

    /// <summary>
    /// Probes once per address family of the servers — and per local address of that family in
    /// <see cref="NatProberOptions.LocalAddresses"/> (one interface each), if any are given. Disposing the prober
    /// cancels a probe in progress.
    /// </summary>
    public async Task<ProbeReport> ProbeAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        cancellationToken = linked.Token;
        var started = options.TimeProvider.GetTimestamp();
        var families = new List<FamilyProbe>();
        foreach (var group in options.Servers.GroupBy(s => s.AddressFamily))
        {
            var locals = options.LocalAddresses.Where(a => a.AddressFamily == group.Key).DefaultIfEmpty(ProbeSockets.Any(group.Key));
            foreach (var localAddress in locals)
            {
                families.Add(await ProbeFamilyAsync(localAddress, [.. group], cancellationToken));
            }
        }
        var report = new ProbeReport(families, options.Servers, options.TimeProvider.GetElapsedTime(started));
        foreach (var family in families)
        {
            ProbingLog.ProbeDone(_logger, family.Elapsed.TotalMilliseconds, family.Verdict.Behavior.ToString(), NatVerdict.Describe(family.Verdict.Connectivity));
        }
        return report;
    }

    private async Task<FamilyProbe> ProbeFamilyAsync(IPAddress localAddress, IReadOnlyList<IPEndPoint> servers, CancellationToken cancellationToken)
    {
        var started = options.TimeProvider.GetTimestamp();
        var family = localAddress.AddressFamily;
        using var listener = ProbeSockets.Bind(new IPEndPoint(localAddress, options.LocalPort), SocketType.Stream);
        listener.Listen(16);
        var local = new IPEndPoint(localAddress, ((IPEndPoint)listener.LocalEndPoint!).Port);
        using var stopAccepting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var accepting = AcceptAndCloseAsync(listener, stopAccepting.Token);

        StunTcpConnection? held = null;
        try
        {
            // UDP filtering first, from a socket of its own: once its one mapping exists, its wait overlaps the rest
            var udpFiltering = options.Udp ? await StartUdpFilteringAsync(localAddress, servers[0], cancellationToken) : null;

            // TCP: the first flow to each server learns its other address; the first one stays for the connect-back
            var firsts = new List<(IPEndPoint Server, IPEndPoint? Other, MappingObservation Observation)>();
            foreach (var server in servers)
            {
                var (observation, response, connection) = await TcpFlowAsync(local, server, keep: held is null, cancellationToken);
                held ??= connection;
                firsts.Add((server, response?.Message.OtherAddress, observation));
            }
            var connectBack = held is not null && firsts[0].Other is not null
                ? ConnectBackAsync(held, cancellationToken)
                : Task.FromResult<ConnectBackOutcome?>(null);

            var tcp = new MappingClassifier(ProbePlan.For([.. firsts.Select(f => (f.Server, f.Other))]));
            foreach (var first in firsts)
            {
                tcp.Observe(first.Observation);
            }
            while (tcp.NextTarget is { } target)
            {
                tcp.Observe((await TcpFlowAsync(local, target, keep: false, cancellationToken)).Observation);
            }

            var udpMapping = options.Udp ? await ProbeUdpMappingAsync(local, servers, cancellationToken) : null;
            // hairpinning last (on a hairpinning NAT it is a flow too): towards the first flow's mapping, still open
            var hairpin = firsts[0].Observation is { Mapped: { } mapped } own && !mapped.Equals(own.Local)
                ? HairpinAsync(mapped, cancellationToken)
                : Task.FromResult<bool?>(null);
            var tcpFiltering = FilteringVerdict.FromConnectBack(await connectBack);
            var hairpins = await hairpin;
            var verdict = new NatVerdict(tcp.Verdict(), tcpFiltering, udpMapping, udpFiltering is null ? null : await udpFiltering) { Hairpin = hairpins };
            return new FamilyProbe(family, localAddress, local.Port, verdict, options.TimeProvider.GetElapsedTime(started));
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync();
            }
            await stopAccepting.CancelAsync();
            await accepting;
        }
    }

    /// <summary>
    /// One TCP flow from <paramref name="local"/> (bound with address and port reuse, so a punch socket may hold
    /// the same port) to the first server of its family: the public endpoint the NAT gave it, or null.
    /// </summary>
    public async Task<IPEndPoint?> ObserveTcpAsync(IPEndPoint local, CancellationToken cancellationToken = default)
    {
        if (options.Servers.FirstOrDefault(s => s.AddressFamily == local.AddressFamily) is not { } server)
        {
            return null;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        return (await TcpFlowAsync(local, server, keep: false, linked.Token)).Observation.Mapped;
    }

    /// <summary>One TCP flow from the probe port: connect, one binding request, the mapping the server saw.</summary>
    private async Task<(MappingObservation Observation, StunResponse? Response, StunTcpConnection? Kept)> TcpFlowAsync(
        IPEndPoint local, IPEndPoint server, bool keep, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(options.TcpFlowTimeout, options.TimeProvider, cancellationToken);
        StunTcpConnection? connection = null;
        try
        {
            connection = await StunTcpConnection.ConnectAsync(local, server, options.TimeProvider, deadline.Token);
            var response = await connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), deadline.Token);
            var observation = new MappingObservation(server, connection.LocalEndPoint, response.Message.Mapped);
            ProbingLog.MappingProbe(_logger, "tcp", server.ToString(), $"{observation.Mapped}");
            var kept = keep ? connection : null;
            if (!keep)
            {
                await connection.DisposeAsync();
            }
            return (observation, response, kept);
        }
        catch (Exception e) when (e is SocketException or IOException or BurrowException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            ProbingLog.MappingProbe(_logger, "tcp", server.ToString(), $"no answer ({e.Message})");
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            return (new MappingObservation(server, local, null), null, null);
        }
    }

    /// <summary>
    /// Whether a connection from this host to its own public mapping comes back in (the NAT hairpins): it then
    /// reaches the probe port's listener. Refused or unanswered within <see cref="NatProberOptions.HairpinWait"/>: no.
    /// </summary>
    private async Task<bool?> HairpinAsync(IPEndPoint publicEndPoint, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(options.HairpinWait, options.TimeProvider, cancellationToken);
        using var socket = new Socket(publicEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(publicEndPoint, deadline.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && deadline.Expired && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task<ConnectBackOutcome?> ConnectBackAsync(StunTcpConnection connection, CancellationToken cancellationToken)
    {
        using var deadline = new Deadline(options.ConnectBackWait, options.TimeProvider, cancellationToken);
        try
        {
            var response = await connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ConnectBack = true }, deadline.Token);
            return response.Message.ConnectBackResult;
        }
        catch (Exception e) when (e is SocketException or IOException or BurrowException or ObjectDisposedException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>
    /// RFC 5780 §4.4 from a fresh socket: one binding request to the server (its answer proves the mapping
    /// exists and says whether the server has another address), then tests II (answer from the other address
    /// and port) and III (from the other port) at once. Returns when the mapping exists; the task it returns
    /// completes after the filtering wait. The socket never sends anywhere else, so only the filtering lets an
    /// answer from elsewhere in.
    /// </summary>
    private async Task<Task<FilteringVerdict>> StartUdpFilteringAsync(IPAddress localAddress, IPEndPoint server, CancellationToken cancellationToken)
    {
        var first = await StartOneUdpFilteringAsync(localAddress, server, cancellationToken);
        return ConfirmOpenAsync(first);

        // An answer from the other address also gets in when the NAT still holds an entry of an earlier flow of
        // this host to that address through the same public port (an earlier probe's mapping flows, from a port
        // the kernel happened to hand out again: seen once in the lab, ten probes in a row behind a NAT that
        // drops). "Open" is the one verdict such a leftover can fake, so it is confirmed from another fresh port.
        async Task<FilteringVerdict> ConfirmOpenAsync(Task<FilteringVerdict> running)
        {
            var verdict = await running;
            return verdict.Filtering == NatFiltering.Open
                ? await await StartOneUdpFilteringAsync(localAddress, server, cancellationToken)
                : verdict;
        }
    }

    private async Task<Task<FilteringVerdict>> StartOneUdpFilteringAsync(IPAddress localAddress, IPEndPoint server, CancellationToken cancellationToken)
    {
        var client = StunUdpClient.Bind(new IPEndPoint(localAddress, 0), options.TimeProvider, _logger);
        try
        {
            var first = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), server, options.FlowTimeout, StunRetransmission.Default, cancellationToken);
            if (first?.Message.OtherAddress is null)
            {
                await client.DisposeAsync();
                return Task.FromResult(FilteringVerdict.Unknown);
            }
            return RunAsync(client, first.RoundTrip);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        async Task<FilteringVerdict> RunAsync(StunUdpClient owned, TimeSpan roundTrip)
        {
            await using (owned)
            {
                var schedule = ScheduleFor(roundTrip);
                var both = owned.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ChangeRequest = StunChange.Ip | StunChange.Port },
                    server, options.FilterWait, schedule, cancellationToken);
                var portOnly = owned.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ChangeRequest = StunChange.Port },
                    server, options.FilterWait, schedule, cancellationToken);
                return FilteringVerdict.FromChangeRequests(Answered(await both), Answered(await portOnly));
            }
        }
    }

    /// <summary>RFC 5780 §4.3: the mapping plan over every server endpoint, from the probe port (UDP).</summary>
    private async Task<MappingVerdict> ProbeUdpMappingAsync(IPEndPoint local, IReadOnlyList<IPEndPoint> servers, CancellationToken cancellationToken)
    {
        StunUdpClient client;
        try
        {
            client = StunUdpClient.Bind(local, options.TimeProvider, _logger);
        }
        catch (SocketException)
        {
            client = StunUdpClient.Bind(new IPEndPoint(local.Address, 0), options.TimeProvider, _logger);  // that UDP port is taken
        }
        await using (client)
        {
            var schedule = StunRetransmission.Default;
            var firsts = new List<(IPEndPoint Server, IPEndPoint? Other, MappingObservation Observation)>();
            foreach (var server in servers)
            {
                var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), server, options.FlowTimeout, schedule, cancellationToken);
                if (response is not null && firsts.Count == 0)
                {
                    schedule = ScheduleFor(response.RoundTrip);
                }
                firsts.Add((server, response?.Message.OtherAddress, new MappingObservation(server, Local(client, server), response?.Message.Mapped)));
            }
            var plan = ProbePlan.For([.. firsts.Select(f => (f.Server, f.Other))]);
            var mapping = new MappingClassifier(plan with { MinimumProbes = plan.Targets.Count });
            foreach (var first in firsts)
            {
                mapping.Observe(first.Observation);
            }
            while (mapping.NextTarget is { } target)
            {
                var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), target, options.FlowTimeout, schedule, cancellationToken);
                mapping.Observe(new MappingObservation(target, Local(client, target), response?.Message.Mapped));
            }
            return mapping.Verdict();
        }
    }

    /// <summary>A measured round trip allows a shorter RTO than the RFC's 500 ms default (RFC 8489 §6.2.1).</summary>
    private static StunRetransmission ScheduleFor(TimeSpan roundTrip) =>
        StunRetransmission.Default with { InitialRto = TimeSpan.FromMilliseconds(Math.Clamp(roundTrip.TotalMilliseconds * 4, 25, 500)) };

    /// <summary>Answered (true), not answered (false), or refused with an error: the test does not apply (null).</summary>
    private static bool? Answered(StunResponse? response) =>
        response is null ? false : response.Message.Class == StunClass.SuccessResponse ? true : null;

    /// <summary>The local endpoint of UDP datagrams to <paramref name="server"/>: the bound address, or the route's source address.</summary>
    private static IPEndPoint Local(StunUdpClient client, IPEndPoint server)
    {
        if (!client.LocalEndPoint.Address.Equals(ProbeSockets.Any(server.AddressFamily)))
        {
            return client.LocalEndPoint;
        }
        using var probe = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(server);  // no packet: only asks the kernel which source address the route uses
        return new IPEndPoint(((IPEndPoint)probe.LocalEndPoint!).Address, client.LocalEndPoint.Port);
    }

    private static async Task AcceptAndCloseAsync(Socket listener, CancellationToken cancellationToken)
    {
        // a connect-back that gets through is accepted and closed: that it connected is the answer
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var inbound = await listener.AcceptAsync(cancellationToken);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
    }
}
