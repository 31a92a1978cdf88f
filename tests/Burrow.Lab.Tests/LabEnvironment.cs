namespace Burrow.Lab.Tests;

/// <summary>What a lab test does when the machine cannot run the lab.</summary>
public enum LabDecision { Run, Skip, Fail }

/// <summary>
/// Decides whether lab tests can run here. They need root (namespaces, nftables) and the lab's
/// tools. Without them a lab test skips with the reason, unless <c>BURROW_LAB_REQUIRED=1</c>
/// (set by <c>.ci/run</c>), which turns the skip into a failure so CI can never pass silently.
/// </summary>
public static class LabEnvironment
{
    public const string RequiredVariable = "BURROW_LAB_REQUIRED";

    /// <summary>Test-only: behave as if not root (to check the skip policy end to end).</summary>
    public const string PretendUnprivilegedVariable = "BURROW_LAB_PRETEND_UNPRIVILEGED";

    /// <summary>Tools every lab topology needs; tests needing more pass them to <see cref="Require"/>.</summary>
    public static readonly string[] BaseTools = ["ip", "nft", "iptables-nft", "python3"];

    public static bool IsRequired => Environment.GetEnvironmentVariable(RequiredVariable) == "1";

    public static bool IsRoot =>
        Environment.IsPrivilegedProcess && Environment.GetEnvironmentVariable(PretendUnprivilegedVariable) != "1";

    /// <summary>Skips (or, when required, fails) the calling test unless the lab can run.</summary>
    public static void Require(params string[] extraTools)
    {
        var (decision, message) = Check(extraTools);
        if (decision == LabDecision.Fail)
            Assert.Fail(message);
        if (decision == LabDecision.Skip)
            Assert.Skip(message!);
    }

    /// <summary>The decision for this machine and process.</summary>
    public static (LabDecision Decision, string? Message) Check(params string[] extraTools)
    {
        var missing = BaseTools.Concat(extraTools).Where(tool => FindTool(tool) is null).ToList();
        return Decide(IsRoot, missing, IsRequired);
    }

    /// <summary>The policy itself, as a pure function.</summary>
    public static (LabDecision Decision, string? Message) Decide(bool isRoot, IReadOnlyCollection<string> missingTools, bool required)
    {
        var reasons = new List<string>();
        if (!isRoot)
            reasons.Add("lab tests need root (network namespaces, nftables)");
        if (missingTools.Count > 0)
            reasons.Add($"missing tools: {string.Join(", ", missingTools)} (run: bash lab/install-deps.sh)");
        if (reasons.Count == 0)
            return (LabDecision.Run, null);
        var reason = string.Join("; ", reasons);
        return required
            ? (LabDecision.Fail, $"{RequiredVariable}=1 but the NAT lab cannot run: {reason}")
            : (LabDecision.Skip, $"NAT lab skipped: {reason}. Set {RequiredVariable}=1 to make this a failure.");
    }

    public static string? FindTool(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>The repository's lab/ directory (found by walking up from the test binary).</summary>
    public static string LabDirectory => LabDirectoryLazy.Value;

    private static readonly Lazy<string> LabDirectoryLazy = new(FindLabDirectory);

    private static string FindLabDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "lab", "lab.sh");
            if (File.Exists(candidate))
                return Path.GetDirectoryName(candidate)!;
        }
        throw new InvalidOperationException($"lab/lab.sh not found above {AppContext.BaseDirectory}");
    }
}
