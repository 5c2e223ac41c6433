namespace LeaseBoard.Domain;

/// <summary>Every state change and every admin action, written in the same transaction as the change.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime AtUtc { get; set; }
    /// <summary>User id, or <c>system</c> for jobs.</summary>
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public int? EnvironmentId { get; set; }
    public int? ReservationId { get; set; }
    public string Details { get; set; } = "";

    public const string SystemActor = "system";
}

/// <summary>Entities whose rows more than one actor updates carry a version renewed on every save.</summary>
public interface IVersioned
{
    Guid Version { get; set; }
}
