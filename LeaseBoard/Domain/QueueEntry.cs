namespace LeaseBoard.Domain;

/// <summary>
/// A test that should run as soon as a gap fits it: the queue places it into a reservation (through the same
/// slot guard as a person's booking) starting "now", on one of the allowed environments.
/// </summary>
public sealed class QueueEntry : IVersioned
{
    public int Id { get; set; }
    public required string OwnerId { get; set; }
    public required string OwnerName { get; set; }
    public required string Title { get; set; }
    public TestKind TestKind { get; set; }
    public string TestSpec { get; set; } = "";
    public TimeSpan Duration { get; set; }

    /// <summary>The environments it may run on as a comma-separated list of ids ("1,3"); null means any.</summary>
    public string? EnvironmentIds { get; set; }

    public DateTime? NotBeforeUtc { get; set; }
    public DateTime? MustFinishByUtc { get; set; }
    public DateTime CreatedUtc { get; set; }
    public DateTime UpdatedUtc { get; set; }

    public QueueEntryState State { get; set; } = QueueEntryState.Waiting;
    /// <summary>The reservation it became (state Placed).</summary>
    public int? ReservationId { get; set; }
    public DateTime? PlacedUtc { get; set; }
    /// <summary>What happened to it, in a sentence for the owner.</summary>
    public string? Outcome { get; set; }

    /// <summary>The client's Idempotency-Key of the request that queued it.</summary>
    public string? IdempotencyKey { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();

    /// <summary>The allowed environment ids; null means any.</summary>
    public IReadOnlyList<int>? AllowedEnvironments
    {
        get => EnvironmentIds is null ? null : EnvironmentIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        set => EnvironmentIds = value is null || value.Count == 0 ? null : string.Join(',', value.Distinct().Order());
    }

    public bool Allows(int environmentId) => AllowedEnvironments is not { } allowed || allowed.Contains(environmentId);
}

public enum QueueEntryState { Waiting, Placed, Expired, Cancelled }
