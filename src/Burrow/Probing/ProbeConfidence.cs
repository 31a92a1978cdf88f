namespace Burrow.Probing;

/// <summary>How far a verdict can be trusted.</summary>
public enum ProbeConfidence
{
    /// <summary>Nothing, or too little, was observed.</summary>
    Low = 0,
    /// <summary>A verdict from few or partly inconsistent observations, or from the absence of an answer.</summary>
    Medium = 1,
    /// <summary>Enough consistent observations (or a positive answer) that another run says the same.</summary>
    High = 2,
}
