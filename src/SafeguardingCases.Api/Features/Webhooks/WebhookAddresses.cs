using System.Net;
using System.Net.Sockets;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>
/// Where no webhook is ever delivered, whoever registered it: link-local addresses (169.254.0.0/16 and fe80::/10, where a
/// cloud serves its instance metadata and credentials), "this network" (0.0.0.0/8, ::) and multicast or reserved
/// addresses. Checked on every address a delivery would connect to, after DNS (so a name cannot be pointed there later),
/// and on a literal address at registration. Private networks and loopback stay open: a rota's receiver on the
/// organisation's own network is a deliberate use.
/// </summary>
public static class WebhookAddresses
{
    public static bool IsRefused(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224;
        }
        return address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6Multicast;
    }

    /// <summary>A URL whose host is a literal address deliveries never go to.</summary>
    public static bool NamesRefusedAddress(Uri url) => IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var address) && IsRefused(address);

    /// <summary>
    /// The webhook client's connection (<see cref="SocketsHttpHandler.ConnectCallback"/>): resolves the host and connects
    /// to its addresses that are not refused; none left is a <see cref="WebhookAddressRefusedException"/>.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => !IsRefused(a)).ToArray();
        if (allowed.Length == 0) throw new WebhookAddressRefusedException();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A webhook's host is, or resolves only to, addresses deliveries never go to (<see cref="WebhookAddresses"/>).</summary>
public sealed class WebhookAddressRefusedException() : IOException("The webhook's address is one deliveries never go to.");
