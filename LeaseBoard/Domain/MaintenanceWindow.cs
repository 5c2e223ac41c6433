namespace LeaseBoard.Domain;

/// <summary>Time <c>[StartUtc, EndUtc)</c> an admin blocked on an environment: the booking guard treats it as taken.</summary>
public sealed class MaintenanceWindow
{
    public int Id { get; set; }
    public int EnvironmentId { get; set; }
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
    public required string Reason { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedUtc { get; set; }
}
