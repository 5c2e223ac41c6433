using System.Security.Claims;
using System.Text.Encodings.Web;
using LeaseBoard.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Tokens;

/// <summary>
/// <c>Authorization: Bearer lb_…</c> → the token owner's principal, with the token's scope. The API
/// accepts only this scheme (and Entra bearer tokens, where configured), never the browser's cookie,
/// so a page elsewhere cannot make the browser write through the API.
/// </summary>
public sealed class ApiTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenService tokens, WarmUpToken warmUp)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    public const string ScopeClaim = "leaseboard:scope";
    public const string TokenIdClaim = "leaseboard:token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var presented = header["Bearer ".Length..].Trim();
        if (!presented.StartsWith("lb_", StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        if (warmUp.Accepts(presented))
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(WarmUpToken.Identity()), SchemeName));

        var token = await tokens.ValidateAsync(presented, Context.RequestAborted);
        if (token is null) return AuthenticateResult.Fail("The token is unknown, revoked or expired.");

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, token.OwnerId),
            new Claim(ClaimTypes.Name, token.OwnerName),
            new Claim(ScopeClaim, token.Scope.ToString().ToLowerInvariant()),
            new Claim(TokenIdClaim, token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], SchemeName);
        if (await tokens.GrantsAdminAsync(token, Context.RequestAborted)) identity.AddClaim(new Claim(ClaimTypes.Role, LeaseBoard.Features.SignIn.Roles.Admin));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    // Status and header only: another bearer scheme (Entra ID) may answer the same challenge, and the
    // API's status-code page writes one problem body at the end (see ApiSetup).
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (!Response.Headers.ContainsKey("WWW-Authenticate")) Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    public static ApiScope? ScopeOf(ClaimsPrincipal user) =>
        Enum.TryParse<ApiScope>(user.FindFirst(ScopeClaim)?.Value, ignoreCase: true, out var scope) ? scope : null;
}
