namespace Burrow.Cli;

/// <summary>The process exit codes, documented in README.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int ConnectionFailed = 1;
    public const int BadInput = 2;
    public const int Interrupted = 130;
}
