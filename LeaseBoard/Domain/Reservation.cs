namespace LeaseBoard.Domain;

/// <summary>A slot <c>[StartUtc, EndUtc)</c> on one environment; while Active it is the lease.</summary>
public sealed class Reservation : IVersioned
{
    public int Id { get; set; }
    public int EnvironmentId { get; set; }
    public TestEnvironment? Environment { get; set; }

    public required string OwnerId { get; set; }
    public required string OwnerName { get; set; }
    public required string Title { get; set; }
    public TestKind TestKind { get; set; }
    public string TestSpec { get; set; } = "";

    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }

    public ReservationState State { get; set; } = ReservationState.Scheduled;
    /// <summary>Why it ended the way it did, or why it is at risk; shown to the owner.</summary>
    public string? Outcome { get; set; }
    /// <summary>Its environment was quarantined and no other environment was free for the slot.</summary>
    public bool AtRisk { get; set; }

    /// <summary>When the lease really ended (early, on time or late); null until then.</summary>
    public DateTime? EndedUtc { get; set; }

    /// <summary>Hangfire ids of the delayed start and deadline jobs, so a move or cancel can replace them.</summary>
    public string? StartJobId { get; set; }
    public string? DeadlineJobId { get; set; }

    /// <summary>The client's Idempotency-Key of the request that booked it: a retried POST gets this reservation back.</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>The queue entry this reservation was placed from; null for a person's own booking.</summary>
    public int? QueueEntryId { get; set; }

    public DateTime CreatedUtc { get; set; }
    public DateTime UpdatedUtc { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();

    public List<TestRun> Runs { get; set; } = [];

    public TimeSpan Duration => EndUtc - StartUtc;
}

public enum TestKind { Stress, Chaos, Load, Soak, Other }

public enum ReservationState { Scheduled, Active, Releasing, Completed, Failed, TimedOut, Cancelled, ForceReleased }

public static class ReservationStates
{
    /// <summary>States that still hold their slot: only these can collide.</summary>
    public static readonly ReservationState[] Live = [ReservationState.Scheduled, ReservationState.Active, ReservationState.Releasing];

    public static bool IsLive(this ReservationState state) => Live.Contains(state);
}
