namespace LeaseBoard.Domain;

/// <summary>A message for one user about their reservation: shown under the bell until read, pruned after the retention.</summary>
public sealed class Notification
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public NotificationKind Kind { get; set; }
    public int? ReservationId { get; set; }
    public required string Text { get; set; }
    public DateTime AtUtc { get; set; }
    public DateTime? ReadUtc { get; set; }
}

public enum NotificationKind { LeaseStarted, EndsSoon, Hung, TimedOut, ForceReleased, Moved, AtRisk, Cancelled, QueuePlaced, QueueExpired, EnvironmentFailed }
