using LeaseBoard.Setup;

var builder = WebApplication.CreateBuilder(args);
builder.UseRepositoryAppSettings();
builder.AddDatabase();
builder.AddSignIn();
builder.AddBooking();
builder.AddLeaseJobs();
builder.AddBoardUi();
builder.AddLiveUpdates();

var app = builder.Build();
await app.InitializeDatabaseAsync();
app.MapBoardUi();
app.MapSignIn();
app.MapLiveUpdates();
app.MapLeaseJobsDashboard();
app.Run();
