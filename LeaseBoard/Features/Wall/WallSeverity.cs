using LeaseBoard.Domain;
using LeaseBoard.Features.Environments;
using MudBlazor;

namespace LeaseBoard.Features.Wall;

/// <summary>
/// How loudly a tile calls for attention, least to most: the one order the wall colours, words and counts
/// follow. A hung run or an environment that needs a person outranks everything; then trouble with the
/// environment itself; then what it is doing.
/// </summary>
public enum WallSeverity { Available, Cleaning, Leased, Degraded, Quarantined, Unhealthy, Attention, Hung }

public static class WallSeverities
{
    /// <param name="hung">The lease's run has not sent a heartbeat for the hang timeout, or the engine is stopping it as hung.</param>
    public static WallSeverity Of(EnvironmentState state, HealthStatus health, bool leased, bool hung, bool needsAttention)
    {
        if (hung) return WallSeverity.Hung;
        if (needsAttention) return WallSeverity.Attention;
        if (health == HealthStatus.Unhealthy) return WallSeverity.Unhealthy;
        if (state == EnvironmentState.Quarantined) return WallSeverity.Quarantined;
        if (health == HealthStatus.Degraded) return WallSeverity.Degraded;
        if (leased || state == EnvironmentState.Leased) return WallSeverity.Leased;
        if (state == EnvironmentState.CleaningUp) return WallSeverity.Cleaning;
        return WallSeverity.Available;
    }

    /// <summary>
    /// Is a running lease's run hung? Silent (no heartbeat since <paramref name="lastSignUtc"/>, its last heartbeat or its start)
    /// for the hang timeout, or already being stopped by the engine for hanging. The wall and the calendar's lane header both ask this.
    /// </summary>
    public static bool RunIsHung(TestRunState? state, RunStopReason? stopReason, DateTime? lastSignUtc, DateTime nowUtc, TimeSpan hangTimeout) =>
        (lastSignUtc is { } last && nowUtc - last >= hangTimeout)
        || (stopReason == RunStopReason.Hung && state is TestRunState.Stopping or TestRunState.Hung);

    /// <summary>A person has to act (the banner names these first).</summary>
    public static bool IsAlarm(this WallSeverity severity) => severity >= WallSeverity.Attention;

    /// <summary>The state word on the tile (shown in capitals).</summary>
    public static string WordOf(WallSeverity severity) => severity switch
    {
        WallSeverity.Hung => "Hung",
        WallSeverity.Attention => "Attention",
        WallSeverity.Unhealthy => "Unhealthy",
        WallSeverity.Quarantined => "Quarantined",
        WallSeverity.Degraded => "Degraded",
        WallSeverity.Leased => "Leased",
        WallSeverity.Cleaning => "Cleaning",
        _ => "Available",
    };

    /// <summary>An icon of its own shape per severity: colour is never the only cue.</summary>
    public static string IconOf(WallSeverity severity) => severity switch
    {
        WallSeverity.Hung => Icons.Material.Filled.HourglassDisabled,
        WallSeverity.Attention => Icons.Material.Filled.ReportProblem,
        WallSeverity.Unhealthy => Icons.Material.Filled.Error,
        WallSeverity.Quarantined => Icons.Material.Filled.Block,
        WallSeverity.Degraded => Icons.Material.Filled.Speed,
        WallSeverity.Leased => Icons.Material.Filled.Lock,
        WallSeverity.Cleaning => Icons.Material.Filled.CleaningServices,
        _ => Icons.Material.Filled.EventAvailable,
    };

    /// <summary>The tile's colours, shared with the rest of the app through <see cref="EnvironmentStateStyle"/>.</summary>
    public static TileColours ColoursOf(WallSeverity severity) => severity switch
    {
        WallSeverity.Hung or WallSeverity.Attention => EnvironmentStateStyle.Attention,
        WallSeverity.Unhealthy => EnvironmentStateStyle.Unhealthy,
        WallSeverity.Quarantined => EnvironmentStateStyle.Quarantined,
        WallSeverity.Degraded => EnvironmentStateStyle.Degraded,
        WallSeverity.Leased => EnvironmentStateStyle.Leased,
        WallSeverity.Cleaning => EnvironmentStateStyle.CleaningUp,
        _ => EnvironmentStateStyle.Available,
    };
}
