namespace Burrow.Lab.Tests;

/// <summary>Runs the built <c>burrow</c> CLI inside a lab namespace, and Burrow's STUN server on the lab server.</summary>
public static class BurrowCli
{
    /// <summary>The ports of Burrow's STUN server on both server addresses (coturn has 3478/3479).</summary>
    public const int StunPort = 3480;
    public const int StunAltPort = 3481;

    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "Burrow.Cli.dll");

    public static LabProcess Run(Lab lab, string node, params string[] arguments) =>
        lab.Run(node, ["dotnet", CliPath, .. arguments]);

    /// <summary>Starts <c>burrow stun-server</c> on srv (198.18.0.10:3480, alternate 198.18.0.11:3481) and waits until it answers.</summary>
    public static async Task<LabProcess> StartStunServerAsync(Lab lab, CancellationToken cancellationToken)
    {
        var server = Run(lab, "srv", "stun-server", "--listen", $"{lab.Server.Ip}:{StunPort}", "--alt", $"{lab.Server.Ip2}:{StunAltPort}", "--json");
        await server.WaitForEventAsync("listening", TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
        return server;
    }
}
