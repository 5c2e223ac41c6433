namespace LeaseBoard.Domain;

/// <summary>A personal access token for the API. Only a hash of its secret is stored.</summary>
public sealed class ApiToken
{
    public int Id { get; set; }
    public required string OwnerId { get; set; }
    public required string OwnerName { get; set; }
    public required string Name { get; set; }
    public ApiScope Scope { get; set; }
    /// <summary>The owner was an admin when the token was made: the token may call the admin operations (until revoked or expired).</summary>
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

/// <summary>Read: GET only. Book: also book, change and cancel. Feed: only the calendar feeds (it travels in a URL).</summary>
public enum ApiScope { Read, Book, Feed }
