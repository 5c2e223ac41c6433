using LeaseBoard.Features.SignIn;
using System.Security.Claims;
using LeaseBoard.Domain;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Identity.Web;

namespace LeaseBoard.Setup;

public sealed class LocalSignInOptions
{
    public const string Section = "LeaseBoard:LocalSignIn";

    /// <summary>The local sign-in trusts whatever name is typed: outside Development it must be allowed on purpose.</summary>
    public bool AllowOutsideDevelopment { get; set; }
}

public static class Roles
{
    /// <summary>The Entra ID app role (and local sign-in role) that makes an admin.</summary>
    public const string Admin = "LeaseBoard.Admin";
    public const string AdminPolicy = "Admin";
}

public static class SignInSetup
{
    public const string LocalSignInPath = "/signin";
    /// <summary>Where a signed-in user is sent when a page is not for them (a non-admin opening an admin page).</summary>
    public const string DeniedPath = "/denied";
    /// <summary>Entra ID bearer tokens for the API (scripts and pipelines of the organisation), when AzureAd is configured.</summary>
    public const string EntraBearerScheme = "EntraBearer";

    public static bool UsesEntraId(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["AzureAd:ClientId"]);

    public static WebApplicationBuilder AddSignIn(this WebApplicationBuilder builder)
    {
        if (UsesEntraId(builder.Configuration))
        {
            builder.Services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
                .AddMicrosoftIdentityWebApp(builder.Configuration.GetSection("AzureAd"));
            builder.Services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme,
                o => o.TokenValidationParameters.RoleClaimType = "roles");
            // Otherwise a refusal goes to the cookie handler's default /Account/AccessDenied, which this app does not have.
            builder.Services.Configure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o => o.AccessDeniedPath = DeniedPath);
            builder.Services.AddAuthentication()
                .AddMicrosoftIdentityWebApi(builder.Configuration.GetSection("AzureAd"), EntraBearerScheme, subscribeToJwtBearerMiddlewareDiagnosticsEvents: false);
        }
        else
        {
            var local = builder.Configuration.GetSection(LocalSignInOptions.Section).Get<LocalSignInOptions>() ?? new();
            if (!builder.Environment.IsDevelopment() && !local.AllowOutsideDevelopment)
                throw new InvalidOperationException(
                    $"LeaseBoard refuses to start: no Entra ID is configured (AzureAd:ClientId is empty), and the local sign-in, which trusts any typed name, " +
                    $"only runs in the Development environment (this is '{builder.Environment.EnvironmentName}'). Configure AzureAd, or set " +
                    $"{LocalSignInOptions.Section}:AllowOutsideDevelopment=true if you really want the local sign-in here.");

            builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
                .AddCookie(o =>
                {
                    o.LoginPath = LocalSignInPath;
                    o.AccessDeniedPath = DeniedPath;
                    o.Cookie.Name = "LeaseBoard.Auth";
                    o.Cookie.HttpOnly = true;
                    o.Cookie.SameSite = SameSiteMode.Lax;
                    o.ExpireTimeSpan = TimeSpan.FromDays(7);
                    o.SlidingExpiration = true;
                });
        }

        // Every sign-in (local or Entra ID: both end in the cookie) records the person's current name and role.
        builder.Services.AddSingleton<PeopleService>();
        builder.Services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o =>
        {
            var previous = o.Events.OnSigningIn;
            o.Events.OnSigningIn = async context =>
            {
                await previous(context);
                if (context.Principal?.Identity?.IsAuthenticated == true)
                    await context.HttpContext.RequestServices.GetRequiredService<PeopleService>()
                        .RecordSignInAsync(context.Principal.ToActor(), context.HttpContext.RequestAborted);
            };
        });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Roles.AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    public static WebApplication MapSignIn(this WebApplication app)
    {
        app.MapPost("/signout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            // Minimal APIs check antiforgery only when they bind a form; this one binds none, so check the token itself.
            if (!await antiforgery.IsRequestValidAsync(http))
                return Results.BadRequest();
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            if (UsesEntraId(app.Configuration))
                return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIdConnectDefaults.AuthenticationScheme]);
            return Results.LocalRedirect("/");
        }).RequireAuthorization();
        if (UsesEntraId(app.Configuration))
            app.MapGet("/signin/entra", (string? returnUrl) => Results.Challenge(
            new AuthenticationProperties { RedirectUri = SafeReturnUrl(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]));
        return app;
    }

    /// <summary>Only local paths are followed after sign-in, so the sign-in page cannot be used to redirect elsewhere.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? returnUrl : "/";

    /// <summary>
    /// The local sign-in trusts a ticked box, so it may make an admin only in Development: where it is
    /// allowed elsewhere (AllowOutsideDevelopment) everyone signs in as a plain user.
    /// </summary>
    public static bool LocalSignInMayGrantAdmin(IHostEnvironment environment) => environment.IsDevelopment();

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
}
