using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace SafeguardingCases.Web.Session;

/// <summary>
/// A console form the console could not send, as it shows it back (nothing of it sent to the API): why, which form it
/// was, where to go to send it again, and each value typed or chosen in it, labelled.
/// </summary>
public sealed partial record KeptForm(KeptForm.Why Reason, string Form, string Address, IReadOnlyList<KeptField> Fields)
{
    public enum Why
    {
        /// <summary>Its sender's session had ended (ConsoleSetup.UseEndedSessionForms): <see cref="Address"/> signs in again.</summary>
        SessionEnded,

        /// <summary>Its antiforgery token is not one this browser's session can send (ConsoleSetup.UseExpiredForms): <see cref="Address"/> is the page again.</summary>
        PageExpired,
    }

    /// <summary>What the form carries for its own sake, not what a person typed: its handler, antiforgery token, key and version.</summary>
    private static bool IsMechanics(string name) =>
        name is "_handler" or "__RequestVerificationToken" || name.EndsWith(".Key", StringComparison.Ordinal) || name.EndsWith(".Version", StringComparison.Ordinal);

    public static KeptForm From(Why reason, HttpRequest request, IFormCollection form)
    {
        var fields = form.Where(f => !IsMechanics(f.Key))
            .Select(f => new KeptField(Words(f.Key[(f.Key.LastIndexOf('.') + 1)..]), string.Join(", ", f.Value.Where(v => !string.IsNullOrEmpty(v)))))
            .Where(f => f.Value.Length > 0)
            .ToList();
        // The form's name without the id of what it acts on (approve-{id}), in words: "Add note", "Open case".
        var handler = TrailingId().Replace(form["_handler"].ToString(), "");
        // A console form posts to the address of the page it is on.
        var page = $"{request.Path}{request.QueryString}";
        var address = reason == Why.SessionEnded ? $"/signin?ReturnUrl={Uri.EscapeDataString(page)}" : page;
        return new KeptForm(reason, handler.Length > 0 ? Words(handler) : "A form", address, fields);
    }

    /// <summary><c>SourceReference</c> or <c>add-note</c> as words: "Source reference", "Add note".</summary>
    private static string Words(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name)
        {
            if (c is '-' or '_') text.Append(' ');
            else if (char.IsUpper(c) && text.Length > 0) text.Append(' ').Append(char.ToLowerInvariant(c));
            else text.Append(text.Length == 0 ? char.ToUpperInvariant(c) : c);
        }
        return text.ToString().Trim();
    }

    [GeneratedRegex("-[0-9a-fA-F-]{32,36}$")]
    private static partial Regex TrailingId();
}

/// <summary>One value of a form that was not sent, with its field's name in words.</summary>
public sealed record KeptField(string Label, string Value);
