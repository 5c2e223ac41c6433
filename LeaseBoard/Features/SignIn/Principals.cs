using System.Security.Claims;
using LeaseBoard.Domain;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace LeaseBoard.Features.SignIn;

/// <summary>Who a request is: the <see cref="Actor"/> read from the server-side principal, and the local sign-in's principal.</summary>
public static class Principals
{
    /// <summary>Entra ID bearer tokens for the API (scripts and pipelines of the organisation), when AzureAd is configured.</summary>
    public const string EntraBearerScheme = "EntraBearer";

    /// <summary>The claim in which Entra ID sends the object ids of a user's groups (the app registration's groupMembershipClaims).</summary>
    public const string GroupClaim = "groups";

    public static bool UsesEntraId(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["AzureAd:ClientId"]);

    /// <summary>Who the signed-in user is, read only from the server-side principal.</summary>
    public static Actor ToActor(this ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true)
            throw new InvalidOperationException("No signed-in user.");
        var id = user.FindFirstValue("http://schemas.microsoft.com/identity/claims/objectidentifier")
                 ?? user.FindFirstValue("oid")
                 ?? user.FindFirstValue(ClaimTypes.NameIdentifier)
                 ?? throw new InvalidOperationException("The signed-in user has no identifier claim.");
        var name = user.FindFirstValue("name") ?? user.Identity.Name ?? id;
        return new Actor(id, name, user.IsInRole(Roles.Admin));
    }

    /// <summary>A principal for the local sign-in: the id is derived from the name, so the same name is the same person.</summary>
    public static ClaimsPrincipal LocalPrincipal(string displayName, bool admin)
    {
        var name = displayName.Trim();
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, "local:" + name.ToLowerInvariant()),
            new(ClaimTypes.Name, name),
        };
        if (admin) claims.Add(new Claim(ClaimTypes.Role, Roles.Admin));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }
}
