using LeaseBoard.Components;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using Microsoft.JSInterop;
using MudBlazor;

namespace LeaseBoard.Features.Calendar;

/// <summary>The calendar's actions: the drag module's calls (draw, move, shortcuts), the booking and details dialogs, and refusals in the viewer's words.</summary>
public sealed partial class CalendarPage
{
    /// <summary>The module's one call after drawing in an empty part of a lane: the booking dialog, prefilled.</summary>
    [JSInvokable]
    public async Task OnDrawnAsync(string laneKey, double startMs, double endMs)
    {
        var environment = _environments?.FirstOrDefault(e => e.Key == laneKey);
        var start = CalendarScriptData.FromMs(startMs);
        await OpenBookingAsync(environment?.Id, start, CalendarScriptData.FromMs(endMs) - start);
    }

    /// <summary>The module's one call after a move or resize; the server decides and the answer says why when it refuses.</summary>
    [JSInvokable]
    public async Task<MoveAnswer> OnMovedAsync(int reservationId, string laneKey, double startMs, double endMs)
    {
        var environment = _environments?.FirstOrDefault(e => e.Key == laneKey);
        if (environment is null || _viewer is null) return new MoveAnswer(false, "That lane is gone. Reload the page.");
        var (start, end) = (CalendarScriptData.FromMs(startMs), CalendarScriptData.FromMs(endMs));
        var result = await Booking.MoveAsync(reservationId, environment.Id, start, end, _viewer);
        var message = result.Succeeded
            ? $"Moved {result.Reservation!.Title} to {environment.Name}, {ViewerTime.Range(start, end)}."
            : $"Can't drop: {Sentence(result)}";
        Announce(message, result.Succeeded ? Severity.Success : Severity.Warning);
        if (result.Succeeded) await ReloadAsync();
        return new MoveAnswer(result.Succeeded, message);
    }

    /// <summary>Keyboard shortcuts the module forwards (not part of any drag).</summary>
    [JSInvokable]
    public async Task OnShortcutAsync(string shortcut)
    {
        switch (shortcut)
        {
            case "create": await OpenBookingAsync(null, null, null); break;
            case "today": await GoToAsync(CalendarGeometry.Today(Clock.GetUtcNow().UtcDateTime, ViewerTime.Zone)); break;
            case "previous": await GoToAsync(Geometry.Step(-1)); break;
            case "next": await GoToAsync(Geometry.Step(1)); break;
            case "view-1": await SwitchViewAsync(CalendarView.Day); break;
            case "view-2": await SwitchViewAsync(CalendarView.ThreeDays); break;
            case "view-3": await SwitchViewAsync(CalendarView.WorkWeek); break;
        }
    }

    private async Task OpenBookingAsync(int? environmentId, DateTime? startUtc, TimeSpan? duration)
    {
        var parameters = new DialogParameters<ReservationDialog>
        {
            { d => d.Environments, _environments! },
            { d => d.EnvironmentId, environmentId },
            { d => d.StartUtc, startUtc },
            { d => d.Duration, duration },
        };
        var dialog = await Dialogs.ShowAsync<ReservationDialog>("New reservation", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseOnEscapeKey = true });
        _ = AfterBookingAsync(dialog);
    }

    private async Task AfterBookingAsync(IDialogReference dialog)
    {
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: string message })
        {
            await InvokeAsync(() => Announce(message, Severity.Success));
            await InvokeAsync(ReloadAsync);
        }
    }

    private async Task BookNextFreeAsync()
    {
        _busy = true;
        try
        {
            var slot = await Booking.NextFreeSlotAsync(TimeSpan.FromHours(1), null, null);
            if (slot is null)
                Announce("No free hour on any environment within the booking horizon.", Severity.Warning);
            else
                await OpenBookingAsync(slot.EnvironmentId, slot.StartUtc, slot.Duration);
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>A lane's Book button: its next free hour from the start of the period in view (or now), else the dialog on that lane alone.</summary>
    private async Task BookInLaneAsync(EnvironmentRow environment)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var slot = await Booking.NextFreeSlotAsync(TimeSpan.FromHours(1), environment.Id, Geometry.StartUtc > now ? Geometry.StartUtc : null);
        if (slot is null) await OpenBookingAsync(environment.Id, null, null);
        else await OpenBookingAsync(environment.Id, slot.StartUtc, slot.Duration);
    }

    private async Task OpenDetailsAsync(ReservationRow row)
    {
        var parameters = new DialogParameters<ReservationDetailsDialog> { { d => d.Reservation, row }, { d => d.Viewer, _viewer }, { d => d.Environments, _environments! } };
        var dialog = await Dialogs.ShowAsync<ReservationDetailsDialog>(row.Title, parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true });
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: string message })
        {
            Announce(message, Severity.Success);
            await ReloadAsync();
        }
    }

    private string Sentence(BookingResult result) => Sentence(result, ViewerTime, Options.CurrentValue.ChangeoverBuffer);

    /// <summary>A refusal in the viewer's words and time zone (the service's own message names UTC times).</summary>
    internal static string Sentence(BookingResult result, ViewerTime viewerTime, TimeSpan changeover) => result switch
    {
        { Outcome: BookingOutcome.Conflict, Conflict: { } c } => c.Sentence(viewerTime.Range(c.Slot.StartUtc, c.Slot.EndUtc), changeover),
        _ => result.Message,
    };
}
