namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>The <c>Http</c> configuration section.</summary>
public sealed class HttpLimitsOptions
{
    public const string SectionName = "Http";

    /// <summary>Largest request body accepted; larger ones get 413. Case commands are small: 64 KB is ample.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;
}

/// <summary>
/// Refuses bodies over the limit with 413, whether the length is declared or the body is streamed. Works the same
/// under Kestrel and the in-memory test server (which has no body limit of its own).
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, Microsoft.Extensions.Options.IOptions<HttpLimitsOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var limit = options.Value.MaxRequestBodyBytes;
        if (http.Request.ContentLength > limit)
        {
            await Problems.WriteAsync(http, Problems.Create(413, "Request body too large", $"Request bodies are limited to {limit} bytes."));
            return;
        }

        if (http.Request.ContentLength is null)
        {
            http.Request.Body = new LengthLimitedStream(http.Request.Body, limit);
        }
        await next(http);
    }

    private sealed class LengthLimitedStream(Stream inner, long limit) : Stream
    {
        private long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int n)
        {
            read += n;
            if (read > limit) throw new BadHttpRequestException($"Request bodies are limited to {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
            return n;
        }
    }
}
