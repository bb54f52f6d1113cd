/** The small demo catalog of `npm run local`: a few categories and brands, three dozen products. */
export interface DemoCategory {
  name: string;
  slug: string;
  colour: [number, number, number];
  brands: string[];
  items: DemoItem[];
}

/** A product of the demo; with `options`, sold in every combination of their values (one variant each). */
export interface DemoItem {
  title: string;
  price: number;
  tags: string[];
  options?: { name: string; values: string[] }[];
}

export const DEMO_CATALOG: DemoCategory[] = [
  {
    name: 'Audio',
    slug: 'audio',
    colour: [40, 90, 200],
    brands: ['Sonique', 'Bassline', 'Aurora'],
    items: [
      { title: 'Wireless Headphones', price: 12999, tags: ['bluetooth', 'noise cancelling'] },
      { title: 'Studio Monitor Speakers', price: 34900, tags: ['studio', 'pair'] },
      { title: 'True Wireless Earbuds', price: 7999, tags: ['bluetooth', 'sport'] },
      { title: 'Portable Bluetooth Speaker', price: 4999, tags: ['bluetooth', 'waterproof'] },
      { title: 'Vinyl Turntable', price: 24900, tags: ['analog', 'records'] },
      { title: 'USB Podcast Microphone', price: 8900, tags: ['usb', 'recording'] },
      { title: 'Soundbar with Subwoofer', price: 29900, tags: ['tv', 'home cinema'] },
    ],
  },
  {
    name: 'Kitchen',
    slug: 'kitchen',
    colour: [210, 110, 40],
    brands: ['Cucina', 'Brewmaster'],
    items: [
      { title: 'Espresso Machine', price: 39900, tags: ['coffee', 'barista'] },
      { title: 'Burr Coffee Grinder', price: 11900, tags: ['coffee'] },
      { title: 'Cast Iron Skillet', price: 3900, tags: ['cookware'] },
      { title: "Chef's Knife 20 cm", price: 8900, tags: ['knives', 'steel'] },
      { title: 'Crème Brûlée Torch', price: 2900, tags: ['dessert'] },
      { title: 'Electric Kettle', price: 4500, tags: ['tea', 'temperature control'] },
      { title: 'Stand Mixer', price: 44900, tags: ['baking'] },
    ],
  },
  {
    name: 'Outdoor',
    slug: 'outdoor',
    colour: [40, 150, 70],
    brands: ['Trailhead', 'Nordwand'],
    items: [
      { title: 'Two-Person Tent', price: 18900, tags: ['camping', 'lightweight'] },
      { title: 'Down Sleeping Bag', price: 22900, tags: ['camping', 'winter'] },
      { title: 'Trekking Poles', price: 6900, tags: ['hiking', 'carbon'] },
      { title: 'Insulated Water Bottle', price: 2900, tags: ['hiking'] },
      { title: 'Headlamp 400 Lumen', price: 3500, tags: ['camping', 'rechargeable'] },
      { title: 'Waterproof Hiking Boots', price: 15900, tags: ['hiking', 'waterproof'], options: [{ name: 'Size', values: ['40', '41', '42', '43'] }] },
      { title: 'Camping Stove', price: 5900, tags: ['camping', 'cooking'] },
      {
        title: 'Merino Hiking T-Shirt',
        price: 4900,
        tags: ['hiking', 'merino'],
        options: [
          { name: 'Size', values: ['S', 'M', 'L'] },
          { name: 'Color', values: ['Black', 'Sand'] },
        ],
      },
    ],
  },
  {
    name: 'Home Office',
    slug: 'home-office',
    colour: [120, 60, 160],
    brands: ['Deskwise', 'Ergon'],
    items: [
      { title: 'Ergonomic Office Chair', price: 32900, tags: ['ergonomic'] },
      { title: 'Standing Desk Frame', price: 39900, tags: ['ergonomic', 'electric'] },
      { title: 'Mechanical Keyboard', price: 11900, tags: ['keyboard', 'usb'] },
      { title: 'Wireless Mouse', price: 3900, tags: ['bluetooth'] },
      { title: '27-inch 4K Monitor', price: 37900, tags: ['display', 'usb-c'] },
      { title: 'Desk Lamp with Dimmer', price: 4900, tags: ['lighting'] },
      { title: 'Webcam 1080p', price: 6900, tags: ['video', 'usb'] },
    ],
  },
  {
    name: 'Books',
    slug: 'books',
    colour: [170, 40, 50],
    brands: ['Quire Press', 'Lantern Books'],
    items: [
      { title: 'The Pragmatic Gardener', price: 2400, tags: ['gardening', 'paperback'] },
      { title: 'Coffee: A Field Guide', price: 2900, tags: ['coffee', 'hardcover'] },
      { title: 'Mountains of the North', price: 3400, tags: ['travel', 'photography'] },
      { title: 'Cooking with Cast Iron', price: 2700, tags: ['cookware', 'recipes'] },
      { title: 'Sound Design Basics', price: 3100, tags: ['audio', 'paperback'] },
      { title: 'The Quiet Desk', price: 1900, tags: ['productivity'] },
      { title: 'Night Sky Atlas', price: 3900, tags: ['astronomy', 'hardcover'] },
    ],
  },
];
