export class QueueDashboardLinkDto {
  /**
   * Path of the dashboard with a one-minute signed ticket, relative to the API's origin. Opened in
   * a browser it sets a 30-minute cookie for the dashboard (bound to this login session) and
   * redirects there.
   */
  url!: string;
  expiresAt!: Date;
}
