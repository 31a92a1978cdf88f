using System.Net;

namespace Burrow.Transport;

/// <summary>Whether a newcomer may start joining (<see cref="PendingAdmission"/>).</summary>
internal enum Admission
{
    /// <summary>Admitted: it holds a place until it registers or leaves.</summary>
    Admitted,

    /// <summary>As many are joining without having registered yet as the server takes at once.</summary>
    Busy,

    /// <summary>As many are joining from this IP address without having registered yet as the server takes from one.</summary>
    BusyAddress,
}

/// <summary>
/// The places for nodes that came and have not registered yet (a handshake, a join, a registration under
/// way): at most <paramref name="max"/> at once, and at most <paramref name="maxPerAddress"/> from one IP
/// address, so that one host cannot hold them all and keep everyone else out. Thread-safe.
/// </summary>
internal sealed class PendingAdmission(int max, int maxPerAddress)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _from = [];
    private int _count;

    /// <summary>Places held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Takes a place for a newcomer from <paramref name="address"/>, if there is one; <see cref="Release"/> gives it back.</summary>
    public Admission TryAdmit(IPAddress address)
    {
        address = Canonical(address);
        lock (_lock)
        {
            if (_count >= max)
            {
                return Admission.Busy;
            }
            var fromThere = _from.GetValueOrDefault(address);
            if (fromThere >= maxPerAddress)
            {
                return Admission.BusyAddress;
            }
            _from[address] = fromThere + 1;
            _count++;
            return Admission.Admitted;
        }
    }

    /// <summary>Gives back a place taken by <see cref="TryAdmit"/> for <paramref name="address"/> (once per place).</summary>
    public void Release(IPAddress address)
    {
        address = Canonical(address);
        lock (_lock)
        {
            if (!_from.TryGetValue(address, out var fromThere))
            {
                throw new InvalidOperationException($"No place is held for {address}.");
            }
            if (fromThere == 1)
            {
                _from.Remove(address);
            }
            else
            {
                _from[address] = fromThere - 1;
            }
            _count--;
        }
    }

    /// <summary>
    /// A place taken for someone from <paramref name="address"/> (admitted already), given back by the first
    /// <see cref="Leave"/>: for code that leaves the pending state on more than one path.
    /// </summary>
    public sealed class Place(PendingAdmission admission, IPAddress address)
    {
        private int _left;

        public void Leave()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                admission.Release(address);
            }
        }
    }

    /// <summary>An IPv4 host is one host whether its address came as IPv4 or as IPv4-mapped IPv6 (dual-stack sockets).</summary>
    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
