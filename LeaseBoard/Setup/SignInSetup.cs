using LeaseBoard.Features.Booking;
using LeaseBoard.Features.SignIn;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Identity.Web;

namespace LeaseBoard.Setup;

public static class SignInSetup
{
    public static WebApplicationBuilder AddSignIn(this WebApplicationBuilder builder)
    {
        if (Principals.UsesEntraId(builder.Configuration))
        {
            builder.Services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
                .AddMicrosoftIdentityWebApp(builder.Configuration.GetSection("AzureAd"));
            builder.Services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme,
                o => o.TokenValidationParameters.RoleClaimType = "roles");
            // Otherwise a refusal goes to the cookie handler's default /Account/AccessDenied, which this app does not have.
            builder.Services.Configure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o => o.AccessDeniedPath = SignInAddresses.DeniedPath);
            builder.Services.AddAuthentication()
                .AddMicrosoftIdentityWebApi(builder.Configuration.GetSection("AzureAd"), Principals.EntraBearerScheme, subscribeToJwtBearerMiddlewareDiagnosticsEvents: false);
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
                    o.LoginPath = SignInAddresses.LocalSignInPath;
                    o.AccessDeniedPath = SignInAddresses.DeniedPath;
                    o.Cookie.Name = "LeaseBoard.Auth";
                    o.Cookie.HttpOnly = true;
                    o.Cookie.SameSite = SameSiteMode.Lax;
                    o.ExpireTimeSpan = TimeSpan.FromDays(7);
                    o.SlidingExpiration = true;
                });
        }

        builder.Services.AddValidatedOptions<LocalSignInOptions>(LocalSignInOptions.Section);

        // Every sign-in (local or Entra ID: both end in the cookie) records the person's current name and role.
        builder.Services.AddSingleton<PeopleService>();
        builder.Services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o =>
        {
            var previous = o.Events.OnSigningIn;
            o.Events.OnSigningIn = async context =>
            {
                await previous(context);
                if (context.Principal?.Identity?.IsAuthenticated != true) return;
                var services = context.HttpContext.RequestServices;
                var groups = context.Principal.FindAll(Principals.GroupClaim).Select(c => c.Value).ToList();
                await services.GetRequiredService<PeopleService>().RecordSignInAsync(context.Principal.ToActor(),
                    team: current => services.GetRequiredService<Teams>().AfterSignIn(current, groups), context.HttpContext.RequestAborted);
            };
        });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Roles.AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    public static WebApplication MapSignIn(this WebApplication app)
    {
        app.MapSignInEndpoints(Principals.UsesEntraId(app.Configuration));
        return app;
    }
}
