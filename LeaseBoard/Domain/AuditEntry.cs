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

    public const int DetailsMaxLength = 2000;

    /// <summary>The one way an audit entry is made: who (a person or <see cref="Domain.Actor.System"/>), what, when, and the details cut to fit.</summary>
    public static AuditEntry For(Actor by, string action, string details, TimeProvider clock, int? environmentId = null, int? reservationId = null) => new()
    {
        AtUtc = clock.GetUtcNow().UtcDateTime, Actor = by.Id, Action = action, EnvironmentId = environmentId, ReservationId = reservationId,
        Details = details.Length > DetailsMaxLength ? details[..DetailsMaxLength] : details,
    };
}

/// <summary>Entities whose rows more than one actor updates carry a version renewed on every save.</summary>
public interface IVersioned
{
    Guid Version { get; set; }
}
