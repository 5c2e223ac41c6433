using LeaseBoard.Domain;

namespace LeaseBoard.Features.Queue;

/// <summary>What a user asks the queue for. <see cref="EnvironmentIds"/> null or empty means any environment.</summary>
public sealed record QueueRequest(string Title, TestKind TestKind, string TestSpec, TimeSpan Duration,
    IReadOnlyList<int>? EnvironmentIds = null, DateTime? NotBeforeUtc = null, DateTime? MustFinishByUtc = null, string? IdempotencyKey = null);

public enum QueueOutcome { Queued, Cancelled, Found, Invalid, LimitReached, Forbidden, NotFound }

/// <summary>A queue entry as its owner (or an admin) sees it; <see cref="Position"/> and <see cref="EstimatedStartUtc"/> only while it waits.</summary>
public sealed record QueueEntryView(
    int Id, string OwnerId, string OwnerName, string Title, TestKind TestKind, string TestSpec, TimeSpan Duration,
    IReadOnlyList<int>? EnvironmentIds, DateTime? NotBeforeUtc, DateTime? MustFinishByUtc, DateTime CreatedUtc,
    QueueEntryState State, int? ReservationId, DateTime? PlacedUtc, string? Outcome, int? Position, DateTime? EstimatedStartUtc)
{
    public static QueueEntryView Of(QueueEntry e, int? position = null, DateTime? estimatedStartUtc = null) => new(
        e.Id, e.OwnerId, e.OwnerName, e.Title, e.TestKind, e.TestSpec, e.Duration, e.AllowedEnvironments, e.NotBeforeUtc, e.MustFinishByUtc,
        e.CreatedUtc, e.State, e.ReservationId, e.PlacedUtc, e.Outcome, position, estimatedStartUtc);
}

/// <summary>Every outcome of a queue operation is a value with a sentence for the user.</summary>
public sealed record QueueResult(QueueOutcome Outcome, string Message, QueueEntryView? Entry = null)
{
    public bool Succeeded => Outcome is QueueOutcome.Queued or QueueOutcome.Cancelled or QueueOutcome.Found;

    /// <summary>The request repeated an Idempotency-Key: this is the entry the first request made.</summary>
    public bool Replayed { get; init; }

    public static QueueResult Invalid(string message) => new(QueueOutcome.Invalid, message);
    public static QueueResult NotFound(int id) => new(QueueOutcome.NotFound, $"Queue entry {id} does not exist.");
    public static QueueResult Forbidden(string message) => new(QueueOutcome.Forbidden, message);
}

/// <summary>What one placement pass did; logged, and read by tests and the simulation.</summary>
public sealed record QueuePassResult(int Placed, int Expired, int StillWaiting);
