using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Framework;

public enum FrameworkDriver { Simulated, Process }

/// <summary>Which test framework drives the environments and how long LeaseBoard waits for it, from <c>LeaseBoard:Framework</c>.</summary>
public sealed class FrameworkOptions
{
    public const string Section = "LeaseBoard:Framework";

    public FrameworkDriver Driver { get; set; } = FrameworkDriver.Simulated;

    /// <summary>Timeout of a start, stop or reset call.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "LeaseBoard:Framework:CommandTimeout must be between 100 ms and 10 minutes.")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one status or health call (each retry gets its own).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "LeaseBoard:Framework:ReadTimeout must be between 100 ms and 10 minutes.")]
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra attempts for reads (status, health, list); writes are never retried blindly.</summary>
    [Range(0, 5, ErrorMessage = "LeaseBoard:Framework:ReadRetries must be between 0 and 5.")]
    public int ReadRetries { get; set; } = 2;
}

/// <summary>Faults the simulated framework plays on one environment; set in configuration or from the admin page.</summary>
public sealed record FaultProfile
{
    /// <summary>The run stops making progress at this percentage.</summary>
    public int? HangAtPercent { get; init; }
    /// <summary>The run fails at this percentage.</summary>
    public int? CrashAtPercent { get; init; }
    /// <summary>Every start attempt fails.</summary>
    public bool FailStart { get; init; }
    /// <summary>Each health probe takes this long.</summary>
    public int HealthLatencyMs { get; init; }
    public bool FailHealth { get; init; }
    public bool FailReset { get; init; }
    /// <summary>Stop requests are never answered (they hang until the caller's timeout).</summary>
    public bool UnresponsiveStop { get; init; }

    public static readonly FaultProfile None = new();

    /// <summary>The faults in a sentence for people ("hangs at 40 %, health takes +500 ms longer"), or "no faults".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (HangAtPercent is { } hang) parts.Add($"hangs at {hang} %");
        if (CrashAtPercent is { } crash) parts.Add($"crashes at {crash} %");
        if (FailStart) parts.Add("every start fails");
        if (HealthLatencyMs > 0) parts.Add($"health checks take {HealthLatencyMs} ms longer");
        if (FailHealth) parts.Add("health checks fail");
        if (FailReset) parts.Add("resets fail");
        if (UnresponsiveStop) parts.Add("stops go unanswered");
        return parts.Count == 0 ? "no faults" : string.Join(", ", parts);
    }
}

/// <summary>The simulated framework, from <c>LeaseBoard:Framework:Simulated</c>.</summary>
public sealed class SimulatedFrameworkOptions
{
    public const string Section = "LeaseBoard:Framework:Simulated";

    /// <summary>
    /// The simulated framework's own state file (its runs, fencing tokens and injected faults), which outlives
    /// the app like a real framework's servers. Empty: <c>simulated-framework.db</c> beside the SQLite database
    /// (or in <c>data/</c> under the content root on SQL Server). Instances that share a database share this file.
    /// </summary>
    public string? StatePath { get; set; }

    /// <summary>A run lasts this share of its slot, unless its spec says <c>duration=N</c> (minutes).</summary>
    [Range(0.01, 2.0, ErrorMessage = "LeaseBoard:Framework:Simulated:RunLengthOfSlot must be between 0.01 and 2.")]
    public double RunLengthOfSlot { get; set; } = 0.85;

    [Range(0, 60000, ErrorMessage = "LeaseBoard:Framework:Simulated:BaseHealthLatencyMs must be between 0 and 60000.")]
    public int BaseHealthLatencyMs { get; set; } = 40;

    /// <summary>Fault profiles by environment key.</summary>
    public Dictionary<string, FaultProfile> Faults { get; set; } = [];
}
