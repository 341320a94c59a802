using System.Globalization;
using System.Text;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Exports;

/// <summary>
/// A chronology as CSV (RFC 4180): a header, then one row per entry. Every row also carries the export's signed
/// checkpoint and how to verify it, so the file proves itself and any CSV reader still sees one row per entry.
/// </summary>
public static class ChronologyCsv
{
    public static string Write(ChronologyExport export)
    {
        var b = new StringBuilder();
        Row(b, ["version", "at", "what", "by", "rule_ids", "hash", "leaf_index", "inclusion_proof", "case_id", "export_id", "audience",
            "checkpoint_note", "checkpoint_signature", "checkpoint_key_id", "how_to_verify"]);
        foreach (var e in export.Entries)
        {
            Row(b, [e.Version.ToString(CultureInfo.InvariantCulture), e.At, e.What, e.By, string.Join(' ', e.RuleIds), e.Hash,
                e.LeafIndex.ToString(CultureInfo.InvariantCulture), string.Join(' ', e.InclusionProof), export.CaseId.ToString("D"),
                export.ExportId.ToString("D"), export.Audience.ToString(), export.Checkpoint.Note, export.Checkpoint.Signature,
                export.Checkpoint.KeyId, export.HowToVerify]);
        }
        return b.ToString();
    }

    private static void Row(StringBuilder b, IReadOnlyList<string> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) b.Append(',');
            // Every field quoted. What and by always begin with the chronology's own words, never a formula.
            b.Append('"').Append(fields[i].Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        b.Append("\r\n");
    }
}

/// <summary>
/// A chronology as PDF (PDFsharp 6.2, MIT): a title page, the entries in a table that breaks across pages with its
/// header repeated, page numbers, and the signed checkpoint on the last page. DejaVu Sans is embedded (with a ToUnicode
/// map), so every entry's text can be extracted, e.g. by pdftotext.
/// </summary>
public static class ChronologyPdf
{
    private const double Margin = 40;
    private const double PageWidth = 595.28; // A4
    private const double PageHeight = 841.89;
    private const double Bottom = PageHeight - Margin - 24;
    private static readonly double[] Widths = [42, 84, 214, 90, 85];
    private static readonly string[] Headings = ["Version", "When (UK time)", "What happened", "By", "Rule IDs"];

    private static string UkTime(string at) =>
        NodaTime.Text.InstantPattern.ExtendedIso.Parse(at) is { Success: true } parsed ? Domain.Cases.Chronology.UkTime(parsed.Value) : at;

    private static readonly Lazy<bool> Fonts = new(() =>
    {
        GlobalFontSettings.FontResolver ??= new EmbeddedFonts();
        return true;
    });

    public static byte[] Write(ChronologyExport export, string title)
    {
        _ = Fonts.Value;
        var body = new XFont(EmbeddedFonts.Family, 8.5);
        var bold = new XFont(EmbeddedFonts.Family, 8.5, XFontStyleEx.Bold);
        var small = new XFont(EmbeddedFonts.Family, 6.5);
        var heading = new XFont(EmbeddedFonts.Family, 18, XFontStyleEx.Bold);
        var large = new XFont(EmbeddedFonts.Family, 11);

        using var document = new PdfDocument();
        document.Info.Title = title;
        document.Info.Creator = "SafeguardingCases";

        // Title page.
        var (page, gfx) = NewPage(document);
        var y = Margin + 40;
        y = Paragraph(gfx, title, heading, Margin, y, PageWidth - 2 * Margin, 24) + 12;
        foreach (var (label, value) in TitleFacts(export))
        {
            gfx.DrawString(label, bold, XBrushes.Black, Margin, y + 11);
            y = Paragraph(gfx, value, large, Margin + 130, y, PageWidth - 2 * Margin - 130, 15) + 4;
        }
        y += 16;
        Paragraph(gfx, "Times are UK time, GMT or BST as the clocks then were; the JSON export holds each instant in UTC, as it is hashed. " +
                       "Every entry below is a leaf of a tree whose root the service signed (the checkpoint on the last page). " + export.HowToVerify,
            body, Margin, y, PageWidth - 2 * Margin, 11);
        gfx.Dispose();

        // The entries, the table's header on every page.
        (page, gfx) = NewPage(document);
        y = TableHeader(gfx, bold, Margin);
        foreach (var entry in export.Entries)
        {
            // The instant to the second in UK time for a reader (the JSON holds it exactly in UTC, as hashed).
            var at = UkTime(entry.At);
            string[] cells = [entry.Version.ToString(CultureInfo.InvariantCulture), at, entry.What, entry.By,
                string.Join('\n', entry.RuleIds)]; // one rule ID a line
            var wrapped = cells.Select((c, i) => Wrap(gfx, c, body, Widths[i] - 6)).ToList();
            var hashLine = $"hash {entry.Hash} · leaf {entry.LeafIndex}";
            var height = wrapped.Max(w => w.Count) * 10.5 + 14;
            if (y + height > Bottom)
            {
                gfx.Dispose();
                (page, gfx) = NewPage(document);
                y = TableHeader(gfx, bold, Margin);
            }
            var x = Margin;
            for (var i = 0; i < cells.Length; i++)
            {
                for (var line = 0; line < wrapped[i].Count; line++) gfx.DrawString(wrapped[i][line], body, XBrushes.Black, x + 3, y + 10 + line * 10.5);
                x += Widths[i];
            }
            gfx.DrawString(hashLine, small, XBrushes.DimGray, Margin + 3, y + height - 4);
            y += height;
            gfx.DrawLine(XPens.LightGray, Margin, y, PageWidth - Margin, y);
        }
        if (export.Entries.Count == 0) gfx.DrawString("No entries in this range.", body, XBrushes.Black, Margin + 3, y + 12);
        if (export.Redactions is { Count: > 0 } redactions)
        {
            y += 20;
            foreach (var line in Redacted(redactions))
            {
                if (y + 12 > Bottom)
                {
                    gfx.Dispose();
                    (page, gfx) = NewPage(document);
                    y = Margin;
                }
                y = Paragraph(gfx, line, body, Margin, y, PageWidth - 2 * Margin, 10.5);
            }
        }
        gfx.Dispose();

        // The checkpoint, on a last page of its own.
        (page, gfx) = NewPage(document);
        y = Margin;
        y = Paragraph(gfx, "Signed checkpoint", heading, Margin, y, PageWidth - 2 * Margin, 24) + 8;
        foreach (var (label, value) in new[]
                 {
                     ("Note", export.Checkpoint.Note.TrimEnd('\n').Replace("\n", " | ", StringComparison.Ordinal)),
                     ("Signature", export.Checkpoint.Signature), ("Key id", export.Checkpoint.KeyId),
                     ("Tree size", export.Checkpoint.TreeSize.ToString(CultureInfo.InvariantCulture)), ("Root hash", export.Checkpoint.RootHash),
                 })
        {
            gfx.DrawString(label, bold, XBrushes.Black, Margin, y + 10);
            y = Paragraph(gfx, value, body, Margin + 80, y, PageWidth - 2 * Margin - 80, 10.5) + 6;
        }
        Paragraph(gfx, export.HowToVerify, body, Margin, y + 10, PageWidth - 2 * Margin, 10.5);
        gfx.Dispose();

        // Page numbers, once the number of pages is known.
        for (var n = 0; n < document.PageCount; n++)
        {
            using var footer = XGraphics.FromPdfPage(document.Pages[n], XGraphicsPdfPageOptions.Append);
            footer.DrawString($"Case {export.CaseId:D} · export {export.ExportId:D} · page {n + 1} of {document.PageCount}", small, XBrushes.DimGray,
                new XRect(Margin, PageHeight - Margin, PageWidth - 2 * Margin, 10), XStringFormats.TopCenter);
        }
        using var output = new MemoryStream();
        document.Save(output, false);
        return output.ToArray();
    }

    private static IEnumerable<(string, string)> TitleFacts(ChronologyExport export)
    {
        yield return ("Case reference", export.CaseId.ToString("D"));
        yield return ("Audience", export.Audience.ToString() + (export.Agency is { } agency ? $" ({agency})" : ""));
        if (export.Recipient is { } recipient) yield return ("Recipient", recipient);
        if (export.Purpose is { } purpose) yield return ("Purpose", purpose);
        yield return ("Generated", $"{Domain.Cases.Chronology.UkTime(export.GeneratedAt)} ({ExportProof.AtText(export.GeneratedAt)})");
        yield return ("Export id", export.ExportId.ToString("D"));
        yield return ("Entries", export.Entries.Count.ToString(CultureInfo.InvariantCulture));
    }

    private static IEnumerable<string> Redacted(IReadOnlyList<Redaction> redactions)
    {
        yield return "Redactions, by ground:";
        foreach (var group in redactions.GroupBy(r => r.Ground))
            yield return $"{group.Key}: " + string.Join(", ", group.Select(r => $"version {r.Version} ({r.Field})"));
    }

    private static (PdfPage, XGraphics) NewPage(PdfDocument document)
    {
        var page = document.AddPage();
        page.Width = XUnit.FromPoint(PageWidth);
        page.Height = XUnit.FromPoint(PageHeight);
        return (page, XGraphics.FromPdfPage(page));
    }

    private static double TableHeader(XGraphics gfx, XFont bold, double y)
    {
        gfx.DrawRectangle(XBrushes.Gainsboro, Margin, y, PageWidth - 2 * Margin, 16);
        var x = Margin;
        for (var i = 0; i < Headings.Length; i++)
        {
            gfx.DrawString(Headings[i], bold, XBrushes.Black, x + 3, y + 11.5);
            x += Widths[i];
        }
        return y + 18;
    }

    /// <summary>Draws wrapped text from (<paramref name="x"/>, <paramref name="y"/>); returns the y below it.</summary>
    private static double Paragraph(XGraphics gfx, string text, XFont font, double x, double y, double width, double lineHeight)
    {
        foreach (var line in Wrap(gfx, text, font, width))
        {
            gfx.DrawString(line, font, XBrushes.Black, x, y + lineHeight * 0.8);
            y += lineHeight;
        }
        return y;
    }

    /// <summary>
    /// Lines of at most <paramref name="width"/> points: words kept whole where they fit; one wider than a line broken
    /// after a hyphen where one fits (a rule ID such as CHILD-SAFEGUARDING reads "CHILD-" then "SAFEGUARDING", each
    /// part whole and searchable), else where the line ends.
    /// </summary>
    internal static List<string> Wrap(XGraphics gfx, string text, XFont font, double width)
    {
        var lines = new List<string>();
        bool Fits(string s) => gfx.MeasureString(s, font).Width <= width;
        foreach (var paragraph in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var line = "";
            foreach (var word in paragraph.Split(' '))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (Fits(candidate))
                {
                    line = candidate;
                    continue;
                }
                if (line.Length > 0) lines.Add(line);
                var rest = word;
                while (!Fits(rest))
                {
                    var cut = rest.Length - 1;
                    while (cut > 0 && !(rest[cut - 1] == '-' && Fits(rest[..cut]))) cut--;
                    if (cut == 0)
                    {
                        cut = 1;
                        while (cut < rest.Length && Fits(rest[..(cut + 1)])) cut++;
                    }
                    lines.Add(rest[..cut]);
                    rest = rest[cut..];
                }
                line = rest;
            }
            lines.Add(line);
        }
        return lines;
    }

    /// <summary>DejaVu Sans, regular and bold, from the assembly's resources: no system fonts needed.</summary>
    private sealed class EmbeddedFonts : IFontResolver
    {
        public const string Family = "DejaVu Sans";

        public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
            new(bold ? "DejaVuSans-Bold" : "DejaVuSans", false, italic);

        public byte[]? GetFont(string faceName)
        {
            using var stream = typeof(ChronologyPdf).Assembly.GetManifestResourceStream($"Fonts.{faceName}.ttf");
            if (stream is null) return null;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
