namespace LeaseBoard.Domain;

/// <summary>The words the audit log uses for what happened.</summary>
public static class AuditActions
{
    public const string ReservationBooked = "reservation.booked";
    public const string ReservationMoved = "reservation.moved";
    public const string ReservationCancelled = "reservation.cancelled";
    public const string ReservationReleased = "reservation.released";
    public const string EnvironmentRetired = "environment.retired";
    public const string EnvironmentRestored = "environment.restored";
}
