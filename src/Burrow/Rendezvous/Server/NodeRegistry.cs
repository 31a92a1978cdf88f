using System.Collections.Concurrent;
using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Rendezvous.Protocol;
using Microsoft.Extensions.Logging;

namespace Burrow.Rendezvous.Server;

/// <summary>
/// The registered nodes and what the server does with their messages, whichever transport brought them:
/// registration (the address must be signed by the key the session proved), the time service, keep-alives,
/// and forwarding signals to another registered node. One entry per node; a newer session replaces an older one.
/// </summary>
internal sealed class NodeRegistry(RendezvousServerOptions options, RendezvousMetrics metrics, ILogger logger)
{
    private readonly ConcurrentDictionary<NodeId, INodeLink> _nodes = new();
    private int _count; // of _nodes, kept apart: ConcurrentDictionary.Count takes every lock

    public int Count => Volatile.Read(ref _count);

    public bool Contains(NodeId node) => _nodes.ContainsKey(node);

    /// <summary>
    /// Handles one message from a node; false when the session must end (a refused registration). A message
    /// only a server sends is a <see cref="ProtocolViolationException"/>.
    /// </summary>
    public bool Handle(INodeLink link, RendezvousMessage message)
    {
        var now = options.TimeProvider.GetUtcNow();
        switch (message)
        {
            case Register register:
                return Register(link, register, now);
            case Pong:
                return true;
            case TimeRequest or SignalTo when link.ExpiresAt == DateTimeOffset.MinValue:
                return RefuseUnregistered(link);
            case Ping or TimeRequest when TryAnswer(message, out var answer):
                link.TrySend(answer);
                return true;
            case SignalTo signal:
                Forward(link, signal, now);
                return true;
            default:
                throw new ProtocolViolationException("rendezvous_unexpected", $"A node sent a server's message ({message.Type}).");
        }
    }

    /// <summary>The answer to a request answered at once and safe to repeat (a ping, a time request); false for any other message.</summary>
    public bool TryAnswer(RendezvousMessage request, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RendezvousMessage? answer)
    {
        answer = request switch
        {
            Ping ping => new Pong(ping.Value),
            TimeRequest time => new TimeReply(time.ClientSent, options.TimeProvider.GetUtcNow(), options.TimeProvider.GetUtcNow()),
            _ => null,
        };
        return answer is not null;
    }

    /// <summary>Refuses a session whose first request was not a registration; false (end it).</summary>
    public bool RefuseUnregistered(INodeLink link) => Refuse(link, RegisterRefusal.NotRegistered, "the first message was not a registration");

    /// <summary>Removes the node's entry if it is still <paramref name="link"/>'s; true if it was.</summary>
    public bool Remove(INodeLink link)
    {
        if (!_nodes.TryRemove(new KeyValuePair<NodeId, INodeLink>(link.NodeId, link)))
        {
            return false;
        }
        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Ends every registered session (the server is stopping).</summary>
    public void AbortAll()
    {
        foreach (var link in _nodes.Values)
        {
            link.Abort();
        }
    }

    /// <summary>Checks a registration; accepted, the session becomes the node's (replacing an older one) and is told what the server sees.</summary>
    private bool Register(INodeLink link, Register register, DateTimeOffset now)
    {
        if (!NodeAddress.TryFromRecord(register.AddressRecord.Span, out var address, out _))
        {
            return Refuse(link, RegisterRefusal.BadAddress, "the address does not decode or verify");
        }
        if (address.NodeId != link.NodeId)
        {
            // Nobody registers another node's id: the address must be signed by the key the session proved.
            return Refuse(link, RegisterRefusal.KeyMismatch, $"the address is {address.NodeId.ToShortString()}…'s, not the session's");
        }
        if (address.CheckValidity(now) != AddressError.None)
        {
            return Refuse(link, RegisterRefusal.Expired, "the address has expired or is not valid yet");
        }
        if (!_nodes.ContainsKey(link.NodeId) && Count >= options.MaxNodes)
        {
            return Refuse(link, RegisterRefusal.Full, $"the server holds as many nodes as it takes ({options.MaxNodes})");
        }
        link.ExpiresAt = address.ExpiresAt;
        Put(link);
        link.TrySend(new Registered(link.RemoteEndPoint, now));
        metrics.Registration("accepted");
        RendezvousServerLog.Registered(logger, link.NodeId.ToShortString(), link.RemoteEndPoint.ToString());
        return true;
    }

    /// <summary>Makes <paramref name="link"/> its node's entry; a session the node had before is stale and ended.</summary>
    private void Put(INodeLink link)
    {
        while (true)
        {
            if (_nodes.TryAdd(link.NodeId, link))
            {
                Interlocked.Increment(ref _count);
                return;
            }
            if (_nodes.TryGetValue(link.NodeId, out var old) && (ReferenceEquals(old, link) || _nodes.TryUpdate(link.NodeId, link, old)))
            {
                if (!ReferenceEquals(old, link))
                {
                    old.Abort(); // the node came back on a new session
                }
                return;
            }
        }
    }

    private void Forward(INodeLink from, SignalTo signal, DateTimeOffset now)
    {
        var forwarded = new ForwardedSignal(from.NodeId, signal.Target, signal.Payload);
        forwarded = options.SignalRewriter?.Invoke(forwarded) ?? forwarded;
        string result;
        if (!_nodes.TryGetValue(forwarded.Target, out var target) || now > target.ExpiresAt)
        {
            result = "unknown_peer";
            from.TrySend(new SignalFailed(signal.Target, SignalFailure.UnknownPeer));
        }
        else if (!target.TrySend(new SignalFrom(forwarded.Source, forwarded.Payload)))
        {
            result = "peer_busy";
            from.TrySend(new SignalFailed(signal.Target, SignalFailure.PeerBusy));
        }
        else
        {
            result = "forwarded";
        }
        metrics.Signal(result);
    }

    private bool Refuse(INodeLink link, RegisterRefusal reason, string why)
    {
        link.TrySend(new RegisterRefused(reason));
        metrics.Registration(reason.ToString().ToLowerInvariant());
        RendezvousServerLog.Refused(logger, link.NodeId.ToShortString(), link.RemoteEndPoint.ToString(), why);
        return false;
    }
}
