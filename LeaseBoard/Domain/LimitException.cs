namespace LeaseBoard.Domain;

/// <summary>
/// An admin's temporary exception for one person from the fair-use limits (upcoming count, weekly hours, concurrent
/// share, prime time, team budget), with a reason and an end; every booking that uses it is audited.
/// </summary>
public sealed class LimitException
{
    public int Id { get; set; }
    public required string UserId { get; set; }
    public required string Reason { get; set; }
    public required string GrantedBy { get; set; }
    public DateTime GrantedUtc { get; set; }
    public DateTime EndsUtc { get; set; }
    public DateTime? RevokedUtc { get; set; }

    public bool IsValidAt(DateTime nowUtc) => RevokedUtc is null && EndsUtc > nowUtc;
}
