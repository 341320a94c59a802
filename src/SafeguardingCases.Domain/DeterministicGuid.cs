using System.Security.Cryptography;
using System.Text;

namespace SafeguardingCases.Domain;

/// <summary>
/// A Guid derived from a text (SHA-256, RFC 9562 version 8): the same text always gives the same id, so something
/// written again under that id collides with its first writing instead of being written twice.
/// </summary>
public static class DeterministicGuid
{
    public static Guid Of(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x80); // version 8 (custom), in the little-endian layout Guid uses
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes);
    }
}
