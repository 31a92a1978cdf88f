using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Burrow.Identity;

namespace Burrow.Rendezvous.Datagram;

/// <summary>
/// The cryptography of a rendezvous datagram session (pure functions of their inputs): what the node signs
/// to join, how both ends derive the session from an ephemeral P-256 agreement, and how packets are sealed.
/// The node proves its key by signing a transcript that binds the server's cookie (fresh, and bound to the
/// node's source address) and both ephemeral keys; each direction has its own AES-256-GCM key.
/// </summary>
public static class DatagramKeys
{
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("burrow rendezvous datagram v1");

    /// <summary>What the node signs in its join.</summary>
    public static byte[] Transcript(ReadOnlySpan<byte> nonce, ulong issued, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> serverKey, ReadOnlySpan<byte> clientKey)
    {
        var transcript = new byte[Label.Length + nonce.Length + 8 + cookie.Length + serverKey.Length + clientKey.Length];
        var span = transcript.AsSpan();
        Label.CopyTo(span);
        span = span[Label.Length..];
        nonce.CopyTo(span);
        BinaryPrimitives.WriteUInt64BigEndian(span[nonce.Length..], issued);
        span = span[(nonce.Length + 8)..];
        cookie.CopyTo(span);
        serverKey.CopyTo(span[cookie.Length..]);
        clientKey.CopyTo(span[(cookie.Length + serverKey.Length)..]);
        return transcript;
    }

    /// <summary>The session's keys (node → server, server → node) and id, from the agreed secret, the cookie and the node's id.</summary>
    public static SessionKeys Derive(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> cookie, NodeId node)
    {
        Span<byte> info = stackalloc byte[Label.Length + NodeId.Size];
        Label.CopyTo(info);
        node.Bytes.CopyTo(info[Label.Length..]);
        Span<byte> output = stackalloc byte[72];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, output, cookie, info);
        return new SessionKeys(output[..32].ToArray(), output[32..64].ToArray(), BinaryPrimitives.ReadUInt64BigEndian(output[64..]));
    }

    /// <summary>A fresh ephemeral P-256 key.</summary>
    public static ECDiffieHellman NewEphemeral() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The compressed public point of an ephemeral key.</summary>
    public static byte[] PublicKey(ECDiffieHellman key)
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        return P256Point.Compress(q.X, q.Y);
    }

    /// <summary>The raw shared secret with the peer's compressed public point; false if the point is not on P-256.</summary>
    public static bool TryAgree(ECDiffieHellman own, ReadOnlySpan<byte> peerKey, out byte[] secret)
    {
        secret = [];
        if (!P256Point.TryDecompress(peerKey, out var x, out var y))
        {
            return false;
        }
        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
            secret = own.DeriveRawSecretAgreement(peer.PublicKey);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="sealedOut"/> (its length plus <see cref="DatagramPacket.TagSize"/>).</summary>
    public static void Seal(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> header, ReadOnlySpan<byte> plaintext, Span<byte> sealedOut) =>
        aes.Encrypt(nonce, plaintext, sealedOut[..plaintext.Length], sealedOut.Slice(plaintext.Length, DatagramPacket.TagSize), header);

    /// <summary>Decrypts and authenticates; false when the packet was not sealed with this key and nonce.</summary>
    public static bool TryOpen(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> header, ReadOnlySpan<byte> sealedIn, Span<byte> plaintext)
    {
        var length = sealedIn.Length - DatagramPacket.TagSize;
        try
        {
            aes.Decrypt(nonce, sealedIn[..length], sealedIn[length..], plaintext[..length], header);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}

/// <summary>A session's two keys and its id.</summary>
public sealed record SessionKeys(byte[] NodeToServer, byte[] ServerToNode, ulong Session);
