using LeaseBoard.Features.Booking;

namespace LeaseBoard.Features.Admin;

public enum AdminOutcome { Done, Forbidden, Invalid, Refused, NotFound }

/// <summary>What an admin action did, as a sentence for the admin; refusals list what stood in the way.</summary>
public sealed record AdminResult(AdminOutcome Outcome, string Message, IReadOnlyList<ConflictingReservation>? Conflicts = null)
{
    public bool Succeeded => Outcome == AdminOutcome.Done;

    public static AdminResult Done(string message) => new(AdminOutcome.Done, message);
    public static AdminResult Forbidden() => new(AdminOutcome.Forbidden, "Only an admin may do this.");
    public static AdminResult Invalid(string message) => new(AdminOutcome.Invalid, message);
    public static AdminResult Refused(string message, IReadOnlyList<ConflictingReservation>? conflicts = null) => new(AdminOutcome.Refused, message, conflicts);
    public static AdminResult NotFound(int environmentId) => new(AdminOutcome.NotFound, $"Environment {environmentId} does not exist.");
}

/// <summary>What to do with reservations in the way of a maintenance window.</summary>
