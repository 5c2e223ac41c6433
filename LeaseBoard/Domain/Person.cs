namespace LeaseBoard.Domain;

/// <summary>
/// Someone who signed in, as of their last sign-in: records (audit entries, reservations) keep only their id,
/// and pages show this name for it. Recorded at every sign-in, so a renamed user reads as their current name.
/// </summary>
public sealed class Person
{
    public required string Id { get; set; }
    public required string DisplayName { get; set; }
    public bool IsAdmin { get; set; }
    public DateTime LastSignInUtc { get; set; }
    /// <summary>The team (a name from <c>LeaseBoard:Booking:Teams</c>): from an Entra group at sign-in, or set by an admin.</summary>
    public string? Team { get; set; }
}
