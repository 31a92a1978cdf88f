using System.Net;
using System.Security.Cryptography;
using Burrow.Identity;
using Burrow.Rendezvous.Datagram;

namespace Burrow.Rendezvous.Server;

/// <summary>
/// The server's half of the datagram join (no I/O; time from a <see cref="TimeProvider"/>). A hello gets a
/// challenge that the server does not remember: its cookie is an HMAC, under a secret of this run, of the
/// node's source address, its nonce and the time, so a join proves the node receives at that address and
/// is at most <see cref="CookieLifetime"/> old. The server's ephemeral key changes every minute (the join's
/// time says which one it answered); times are the server's monotonic milliseconds, meaningful only to it, so
/// a step of the wall clock neither revives nor kills a cookie. A join is checked cookie first (cheap), then the
/// signature and the agreement.
/// </summary>
internal sealed class DatagramHandshake : IDisposable
{
    public static readonly TimeSpan CookieLifetime = TimeSpan.FromSeconds(10);
    private static readonly long KeyEpochMs = 60_000;
    private readonly TimeProvider _time;
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (ECDiffieHellman Key, byte[] Public)> _keys = [];

    private readonly long _started;

    public DatagramHandshake(TimeProvider time) => (_time, _started) = (time, time.GetTimestamp());

    /// <summary>Milliseconds on the server's monotonic clock (since this handshake was made): a wall-clock step neither revives nor kills a cookie.</summary>
    private ulong Now() => (ulong)_time.GetElapsedTime(_started).TotalMilliseconds;

    /// <summary>The challenge answering a well-formed hello from <paramref name="from"/>.</summary>
    public byte[] Challenge(ReadOnlySpan<byte> hello, SocketAddress from)
    {
        var nonce = hello.Slice(DatagramPacket.HeaderSize, DatagramPacket.NonceSize);
        var issued = Now();
        var (_, serverKey) = KeyFor((long)issued / KeyEpochMs, create: true)!.Value;
        Span<byte> cookie = stackalloc byte[DatagramPacket.CookieSize];
        Cookie(from, nonce, issued, cookie);
        return DatagramPacket.Challenge(nonce, issued, cookie, serverKey);
    }

    /// <summary>
    /// Checks a well-formed join from <paramref name="from"/>: a cookie this server issued to that address less
    /// than <see cref="CookieLifetime"/> ago, the node's signature over the transcript, and the key agreement.
    /// On success, the node's key, the session's keys, and the round trip since the challenge.
    /// </summary>
    public JoinCheck TryJoin(ReadOnlySpan<byte> packet, SocketAddress from, out NodePublicKey? node, out SessionKeys? keys, out TimeSpan roundTrip)
    {
        node = null;
        keys = null;
        roundTrip = default;
        var join = DatagramPacket.ReadJoin(packet);
        var check = CheckCookie(packet, from, out var age);
        if (check != JoinCheck.Accepted)
        {
            return check;
        }
        if (KeyFor((long)join.Issued / KeyEpochMs, create: false) is not var (serverKey, serverPublic))
        {
            return JoinCheck.Stale;
        }
        var transcript = DatagramKeys.Transcript(join.Nonce, join.Issued, join.Cookie, serverPublic, join.ClientKey);
        if (!NodePublicKey.TryFromCompressed(join.NodeKey, out node) || !node!.Verify(transcript, join.Signature))
        {
            node = null;
            return JoinCheck.BadSignature;
        }
        byte[] secret;
        lock (_lock)
        {
            if (!DatagramKeys.TryAgree(serverKey, join.ClientKey, out secret))
            {
                node = null;
                return JoinCheck.BadKey;
            }
        }
        keys = DatagramKeys.Derive(secret, join.Cookie, node.NodeId);
        CryptographicOperations.ZeroMemory(secret);
        roundTrip = TimeSpan.FromMilliseconds(age);
        return JoinCheck.Accepted;
    }

    /// <summary>
    /// The cheap part of <see cref="TryJoin"/>: whether a well-formed join from <paramref name="from"/> carries a
    /// cookie this server issued to that address less than <see cref="CookieLifetime"/> ago (<see cref="JoinCheck.Accepted"/>),
    /// and how long ago.
    /// </summary>
    public JoinCheck CheckCookie(ReadOnlySpan<byte> packet, SocketAddress from, out long ageMs)
    {
        var join = DatagramPacket.ReadJoin(packet);
        ageMs = (long)Now() - (long)join.Issued;
        if (join.Issued > long.MaxValue || ageMs < 0 || ageMs > CookieLifetime.TotalMilliseconds)
        {
            return JoinCheck.Stale;
        }
        Span<byte> cookie = stackalloc byte[DatagramPacket.CookieSize];
        Cookie(from, join.Nonce, join.Issued, cookie);
        return CryptographicOperations.FixedTimeEquals(cookie, join.Cookie) ? JoinCheck.Accepted : JoinCheck.BadCookie;
    }

    private void Cookie(SocketAddress from, ReadOnlySpan<byte> nonce, ulong issued, Span<byte> cookie)
    {
        var address = from.Buffer.Span[..from.Size];
        Span<byte> input = stackalloc byte[address.Length + nonce.Length + 8];
        address.CopyTo(input);
        nonce.CopyTo(input[address.Length..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(input[(address.Length + nonce.Length)..], issued);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, input, mac);
        mac[..DatagramPacket.CookieSize].CopyTo(cookie);
    }

    /// <summary>The key of an epoch: the current one is made on demand; only it and the one before are kept.</summary>
    private (ECDiffieHellman Key, byte[] Public)? KeyFor(long epoch, bool create)
    {
        lock (_lock)
        {
            if (_keys.TryGetValue(epoch, out var key))
            {
                return key;
            }
            if (!create)
            {
                return null;
            }
            var fresh = DatagramKeys.NewEphemeral();
            key = (fresh, DatagramKeys.PublicKey(fresh));
            _keys[epoch] = key;
            foreach (var old in _keys.Keys.Where(e => e < epoch - 1).ToList())
            {
                _keys.Remove(old, out var gone);
                gone.Key.Dispose();
            }
            return key;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (key, _) in _keys.Values)
            {
                key.Dispose();
            }
            _keys.Clear();
        }
    }
}

/// <summary>What the server made of a join.</summary>
internal enum JoinCheck
{
    Accepted,
    Stale,
    BadCookie,
    BadSignature,
    BadKey,
}
