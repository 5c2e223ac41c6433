# LeaseBoard: built with the .NET 10 SDK, run on the ASP.NET Core 10 runtime image as its non-root user.
#
#   docker build -t leaseboard .
#   docker run -p 8080:8080 \
#     -e LeaseBoard__Database__Provider=SqlServer \
#     -e ConnectionStrings__LeaseBoard="Server=sql.example;Database=LeaseBoard;User Id=leaseboard;Password=...;TrustServerCertificate=true" \
#     -e AzureAd__TenantId=<tenant id> -e AzureAd__ClientId=<app id> -e AzureAd__ClientSecret=<secret> \
#     leaseboard
#
# Configuration is all environment variables (":" becomes "__"):
#   LeaseBoard__Database__Provider           Sqlite (default) or SqlServer
#   ConnectionStrings__LeaseBoard            the database; default "Data Source=data/leaseboard.db" (SQLite in /app/data)
#   LeaseBoard__Database__MigrateOnStartup   true (default) or false where a DBA applies the migration script
#   AzureAd__TenantId / __ClientId / __ClientSecret
#                                            Entra ID sign-in; the app role LeaseBoard.Admin makes an admin.
#                                            Without AzureAd the app refuses to start in Production, unless
#                                            LeaseBoard__LocalSignIn__AllowOutsideDevelopment=true (any typed name is trusted).
#   LeaseBoard__Telemetry__MetricsNetworks__0   a network (CIDR) whose Prometheus may scrape /metrics without a token
#   OTEL_EXPORTER_OTLP_ENDPOINT              an OTLP collector (e.g. http://otel-collector:4317): traces, and metrics too
# The base appsettings.json (repository root) is linked into the project and published next to LeaseBoard.dll.
# Sign-in cookies are protected with ASP.NET Core data-protection keys kept in the container's home folder:
# they are lost when the container is replaced, which signs everyone out.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project file alone, so the package layer stays cached while the source changes.
COPY LeaseBoard/LeaseBoard.csproj LeaseBoard/
RUN dotnet restore LeaseBoard/LeaseBoard.csproj
COPY appsettings.json ./
COPY LeaseBoard/ LeaseBoard/
RUN dotnet publish LeaseBoard/LeaseBoard.csproj -c Release --no-restore -o /app/publish -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app/publish .
# The default SQLite file lives in /app/data: owned by the app user; mount a volume there to keep it.
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
VOLUME /app/data
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
# No HEALTHCHECK: the aspnet image has no curl or wget. Point the orchestrator's probes at
# GET /health/live (the process answers) and GET /health/ready (the database answers) instead.
ENTRYPOINT ["dotnet", "LeaseBoard.dll"]
