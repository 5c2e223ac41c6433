using System.Security.Claims;

namespace LeaseBoard.Features.SignIn;

/// <summary>
/// The delegated scopes LeaseBoard's app registration exposes to Entra ID callers. An access token's
/// <c>scp</c> claim (a space-separated list) must name one of them: any other scope issued for the app
/// (say, a scope added later for another purpose) opens nothing.
/// </summary>
public static class EntraScopes
{
    /// <summary>GET only.</summary>
    public const string Read = "LeaseBoard.Read";
    /// <summary>Also book, change, cancel and release.</summary>
    public const string Book = "LeaseBoard.Book";

    private static readonly string[] ScopeClaimTypes = ["scp", "http://schemas.microsoft.com/identity/claims/scope"];

    /// <summary>The token is an Entra ID access token (it carries a scope claim), whatever its scopes.</summary>
    public static bool IsEntraAccessToken(ClaimsPrincipal user) => user.HasClaim(c => ScopeClaimTypes.Contains(c.Type));

    public static bool AllowsRead(ClaimsPrincipal user) => Has(user, Read) || Has(user, Book);

    public static bool AllowsBook(ClaimsPrincipal user) => Has(user, Book);

    private static bool Has(ClaimsPrincipal user, string scope) =>
        user.Claims.Where(c => ScopeClaimTypes.Contains(c.Type))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Contains(scope, StringComparer.Ordinal);
}
