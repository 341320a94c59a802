using System.Net;
using System.Net.Sockets;

namespace SafeguardingCases.Testing;

/// <summary>Ports on 127.0.0.1 for the servers tests and benchmarks start (the API, PostgreSQL, nginx, SMTP, receivers).</summary>
public static class Loopback
{
    /// <summary>A port nothing listens on now: the system's choice for a listener that is closed at once.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
