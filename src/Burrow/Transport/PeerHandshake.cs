using System.Net.Security;
using System.Security.Authentication;
using Burrow.Identity;

namespace Burrow.Transport;

/// <summary>
/// Runs TLS 1.3 over an established transport with mutual authentication by node key. The client (dialer)
/// refuses a server whose key is not the one in the address it dialed; a server that knows whom to expect
/// (simultaneous open) refuses any other client; otherwise the server learns who connected.
/// </summary>
public static class PeerHandshake
{
    /// <summary>ALPN identifier: a non-Burrow TLS peer fails the handshake instead of getting garbage.</summary>
    public static readonly SslApplicationProtocol Protocol = new("burrow/1");

    /// <summary>
    /// TLS 1.3 suites in order of speed on common hardware: AES-128-GCM (AES-NI), ChaCha20 (without it), then
    /// AES-256-GCM. Only settable where the TLS library is OpenSSL; elsewhere the platform's order applies.
    /// </summary>
    private static readonly CipherSuitesPolicy? Suites = OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD()
        ? new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384])
        : null;

    /// <summary>
    /// Authenticates <paramref name="transport"/>; the stream is owned by the result (or disposed on failure). The
    /// result's reads return 0 only at the peer's close_notify: a transport that ends without it (a cut, or a forged FIN)
    /// makes them throw an <see cref="IOException"/> (inner: <see cref="ProtocolViolationException"/> <c>stream_truncated</c>).
    /// </summary>
    public static Task<(SslStream Stream, NodeId RemoteId)> AuthenticateAsync(
        Stream transport, TlsCredentials local, TlsRole role, NodeId? expectedRemote, CancellationToken cancellationToken) =>
        AuthenticateAsync(transport, local, role, expectedRemote, upgrade: null, cancellationToken);

    /// <summary>
    /// As above; a client given <paramref name="upgrade"/> says the connection replaces the relayed one it names
    /// (as the TLS server name, see <see cref="UpgradeTag"/>). A server reads it from the result's <c>TargetHostName</c>.
    /// </summary>
    public static async Task<(SslStream Stream, NodeId RemoteId)> AuthenticateAsync(
        Stream transport, TlsCredentials local, TlsRole role, NodeId? expectedRemote, UpgradeTag? upgrade, CancellationToken cancellationToken)
    {
        NodeId? seen = null;
        string? refusal = null;
        bool Validate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
            System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors)
        {
            // Chain and name errors are expected (self-signed); the key is what identifies a node.
            seen = NodeCertificate.NodeIdOf(certificate);
            refusal = seen is null ? "the peer presented no P-256 node certificate"
                : expectedRemote is { } expected && seen != expected ? $"the peer is {seen.Value.ToShortString()}…, not the expected {expected.ToShortString()}… (wrong key: refused)"
                : seen == local.Identity.NodeId ? "the peer has this node's own key"
                : null;
            return refusal is null;
        }

        // Reads of the result tell a cut stream from the peer's end (see PeerTlsStream).
        var ssl = new PeerTlsStream(new WatchedTransport(transport), Validate);
        try
        {
            if (role == TlsRole.Client)
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = upgrade?.ServerName ?? expectedRemote?.ToString() ?? "burrow",
                    ClientCertificateContext = local.Context,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [Protocol],
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                    AllowRenegotiation = false,
                    CipherSuitesPolicy = Suites,
                }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = local.Context,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ApplicationProtocols = [Protocol],
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                    AllowRenegotiation = false,
                    CipherSuitesPolicy = Suites,
                }, cancellationToken).ConfigureAwait(false);
            }
            if (seen is not { } remote || refusal is not null || ssl.NegotiatedApplicationProtocol != Protocol)
            {
                throw new PeerAuthenticationException(refusal ?? "the peer did not authenticate as a Burrow node");
            }
            return (ssl, remote);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or PeerAuthenticationException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw e as PeerAuthenticationException
                ?? new PeerAuthenticationException(refusal is null ? $"TLS handshake failed: {e.Message}" : $"TLS handshake refused: {refusal}", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
