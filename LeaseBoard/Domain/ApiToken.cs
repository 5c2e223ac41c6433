namespace LeaseBoard.Domain;

/// <summary>A personal access token for the API. Only a hash of its secret is stored.</summary>
public sealed class ApiToken
{
    public int Id { get; set; }
    public required string OwnerId { get; set; }
    public required string OwnerName { get; set; }
    public required string Name { get; set; }
    public ApiScope Scope { get; set; }
    /// <summary>
    /// Kept for old rows only: it once made any <c>book</c> token of an admin an admin token. Admin rights now come
    /// from <see cref="ApiScope.Admin"/> alone, re-checked against the owner's current role at each use.
    /// </summary>
    public bool OwnerIsAdmin { get; set; }
    /// <summary>The public part of the token (<c>lb_&lt;prefix&gt;_…</c>): finds the row without revealing the secret.</summary>
    public required string Prefix { get; set; }
    /// <summary>SHA-256 of the whole token; the token has 256 random bits, so a fast hash is enough.</summary>
    public required byte[] SecretHash { get; set; }
    public DateTime CreatedUtc { get; set; }
    public DateTime ExpiresUtc { get; set; }
    public DateTime? RevokedUtc { get; set; }
    public DateTime? LastUsedUtc { get; set; }
}

/// <summary>
/// Read: GET only. Book: also book, change and cancel. Feed: only the calendar feeds (it travels in a URL).
/// Admin: what Book may, and the admin operations while its owner is still an admin (only admins may make one).
/// Stored by name, so new values need no schema change.
/// </summary>
public enum ApiScope { Read, Book, Feed, Admin }
