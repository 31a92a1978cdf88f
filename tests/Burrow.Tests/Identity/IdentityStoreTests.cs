using Burrow.Identity;

namespace Burrow.Tests.Identity;

public sealed class IdentityStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-id-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Creates_an_owner_only_identity_once_then_loads_the_same_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "nested", "identity.pem");
        var (first, created) = await IdentityStore.LoadOrCreateAsync(path, ct);
        var (second, createdAgain) = await IdentityStore.LoadOrCreateAsync(path, ct);
        using (first)
        using (second)
        {
            Assert.True(created);
            Assert.False(createdAgain);
            Assert.Equal(first.NodeId, second.NodeId);
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
    }

    [Theory]
    [InlineData("not a key at all")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    [InlineData("")]
    public async Task A_corrupt_identity_is_a_clear_error_and_is_never_replaced(string content)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "identity.pem");
        await File.WriteAllTextAsync(path, content, ct);
        var error = await Assert.ThrowsAsync<IdentityException>(() => IdentityStore.LoadOrCreateAsync(path, ct));
        Assert.Equal("identity_corrupt", error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(path, ct));
    }

    [Fact]
    public async Task A_key_on_another_curve_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "identity.pem");
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        await File.WriteAllTextAsync(path, p384.ExportPkcs8PrivateKeyPem(), ct);
        var error = await Assert.ThrowsAsync<IdentityException>(() => IdentityStore.LoadOrCreateAsync(path, ct));
        Assert.Equal("identity_corrupt", error.Code);
    }

    [Fact]
    public async Task An_unwritable_location_is_a_typed_error()
    {
        var ct = TestContext.Current.CancellationToken;
        var blocker = Path.Combine(_dir, "file");
        await File.WriteAllTextAsync(blocker, "x", ct);
        var error = await Assert.ThrowsAsync<IdentityException>(() => IdentityStore.LoadOrCreateAsync(Path.Combine(blocker, "identity.pem"), ct));
        Assert.Equal("identity_unwritable", error.Code);
    }
}
