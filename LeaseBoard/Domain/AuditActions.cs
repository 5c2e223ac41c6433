namespace LeaseBoard.Domain;

/// <summary>The words the audit log uses for what happened.</summary>
public static class AuditActions
{
    public const string ReservationBooked = "reservation.booked";
    public const string QueueEntryAdded = "queue.added";
    public const string QueueEntryPlaced = "queue.placed";
    public const string QueueEntryExpired = "queue.expired";
    public const string QueueEntryCancelled = "queue.cancelled";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
    public const string ChannelWebhookAdded = "webhook.channel-added";
    public const string ChannelWebhookDeleted = "webhook.channel-deleted";
    public const string ReservationMoved = "reservation.moved";
    public const string ReservationCancelled = "reservation.cancelled";
    public const string ReservationReleased = "reservation.released";
    public const string EnvironmentRetired = "environment.retired";
    public const string LeaseStarted = "lease.started";
    public const string LeaseStartFailed = "lease.start-failed";
    public const string LeaseEnded = "lease.ended";
    public const string LeaseMissed = "lease.missed";
    public const string RunStopping = "run.stopping";
    public const string RunForceStopped = "run.force-stopped";
    public const string RunOrphanStopped = "run.orphan-stopped";
    public const string RunAdopted = "run.adopted";
    public const string RunAttributed = "run.attributed";
    public const string EnvironmentCleaning = "environment.cleaning";
    public const string EnvironmentAvailable = "environment.available";
    public const string EnvironmentQuarantined = "environment.quarantined";
    public const string EnvironmentReturned = "environment.returned";
    public const string EnvironmentHealthChanged = "environment.health-changed";
    public const string ReservationRelocated = "reservation.relocated";
    public const string ReservationAtRisk = "reservation.at-risk";
    public const string ReservationAtRiskCleared = "reservation.at-risk-cleared";
    public const string EnvironmentRestored = "environment.restored";
    public const string LeaseForceReleased = "lease.force-released";
    public const string AdminForceRelease = "admin.force-release";
    public const string AdminQuarantine = "admin.quarantine";
    public const string AdminReturn = "admin.return";
    public const string AdminCheckHealth = "admin.check-health";
    public const string AdminCleanup = "admin.cleanup";
    public const string AdminMaintenance = "admin.maintenance";
    public const string AdminMaintenanceEnded = "admin.maintenance-ended";
    public const string AdminFaults = "admin.faults";
    public const string LimitExempted = "limits.exempted";
    public const string LimitExceptionGranted = "limits.exception-granted";
    public const string LimitExceptionRevoked = "limits.exception-revoked";
    public const string TeamSet = "person.team-set";
}
