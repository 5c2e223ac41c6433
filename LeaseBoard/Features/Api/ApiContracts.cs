using System.ComponentModel;
using LeaseBoard.Domain;

namespace LeaseBoard.Features.Api;

/// <summary>POST /api/v1/reservations. Times are ISO 8601 with an offset or Z (e.g. 2026-12-01T14:00:00Z); see <see cref="ApiInput.TimeRule"/>.</summary>
public sealed record CreateReservationRequest
{
    [Description("An environment key (env-2), or \"any\" (the default) for the first one free for the whole slot.")]
    public string Environment { get; init; } = "any";

    [Description("The start on the 5-minute grid, with an offset or Z (2026-12-01T14:00:00Z; a time without an offset is refused with 400), or \"earliest\" (the default) for the earliest free slot.")]
    public string Start { get; init; } = "earliest";

    [Description("Minutes, within the booking limits (LeaseBoard:Booking:MinDuration to MaxDuration) and a multiple of the grid; a refusal names the limits.")]
    public int DurationMinutes { get; init; }

    public string Title { get; init; } = "";
    public TestKind TestKind { get; init; } = TestKind.Load;
    public string TestSpec { get; init; } = "";
}

/// <summary>PATCH /api/v1/reservations/{id}: any of the fields; missing ones keep their value.</summary>
public sealed record ChangeReservationRequest
{
    public string? Environment { get; init; }
    [Description("The new start, with an offset or Z (2026-12-01T14:00:00Z); a time without an offset is refused with 400.")]
    public string? StartUtc { get; init; }
    [Description("The new end, with an offset or Z (2026-12-01T15:00:00Z); a time without an offset is refused with 400.")]
    public string? EndUtc { get; init; }
    [Description("Extends (or with a negative value shortens) the end by this many minutes, at most the longest reservation either way.")]
    public int? ExtendMinutes { get; init; }
}

/// <param name="Attribution">Once the run has ended, who or what its end is due to: passed, test (it failed on a healthy environment),
/// infrastructure (the environment or the framework failed under it; it does not count against the owner's weekly hours), hung,
/// overran (still running at the slot's end) or stopped (by its owner or an admin); null while it runs.</param>
public sealed record RunDto(TestRunState State, int ProgressPercent, DateTime StartedUtc, DateTime? LastProgressUtc, DateTime? EndedUtc, string? Detail,
    RunAttribution? Attribution = null);

public sealed record ReservationDto(
    int Id, string Environment, string Owner, string Title, TestKind TestKind, string TestSpec,
    DateTime StartUtc, DateTime EndUtc, ReservationState State, string? Outcome, bool AtRisk, DateTime? EndedUtc, RunDto? Run);

public sealed record SlotDto(string Environment, DateTime StartUtc, DateTime EndUtc);

public sealed record EnvironmentDto(
    string Key, string Name, EnvironmentState State, HealthStatus Health, int? HealthLatencyMs, DateTime? LastHealthCheckUtc,
    string? QuarantineReason, ReservationDto? CurrentLease, ReservationDto? NextReservation);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Skip, int Take);

/// <summary>POST /api/v1/admin/environments/{key}/actions (admin tokens only). Every action needs a reason; it is audited.</summary>
public sealed record AdminActionBody
{
    [Description("force-release, quarantine, return, check-health or cleanup.")]
    public string Action { get; init; } = "";
    public string Reason { get; init; } = "";
    [Description("With quarantine: also force-release the running lease.")]
    public bool AndForceRelease { get; init; }
    [Description("With return: return even when the health check fails.")]
    public bool EvenIfUnhealthy { get; init; }
}
